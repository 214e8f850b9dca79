import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { DATASOURCE_UID } from '../datasource.js';
import { ClickHouseQueryBuilder } from '../query/clickhouse-query.js';
import { CONTACT_POINT_MESSAGE, grafanaSummary, grafanaTemplate, TEMPLATE_NAME } from './message.js';
import { ALERT_RULES, durationText, RULE_GROUP, type AlertRuleSpec } from './rules.js';

/** Environment variables Grafana expands at start; the built files hold only these references. */
export interface TelegramSettings {
  readonly botTokenVariable: string;
  readonly chatIdVariable: string;
}

export const CONTACT_POINT_NAME = 'Telegram — Пикча';
const CONTACT_POINT_UID = 'piccha-telegram';
const EXPRESSION_DATASOURCE = { type: '__expr__', uid: '__expr__' };

/** Built with the SDK, in its (HTTP API) shape. */
function ruleBuilder(rule: AlertRuleSpec): alerting.RuleBuilder {
  return new alerting.RuleBuilder(rule.title)
    .uid(rule.uid)
    .condition('C')
    .withQuery(
      new alerting.QueryBuilder('A')
        .datasourceUid(DATASOURCE_UID)
        .relativeTimeRange({ from: rule.lookbackSeconds, to: 0 })
        .model(new ClickHouseQueryBuilder(rule.sql).refId('A')),
    )
    .withQuery(
      new alerting.QueryBuilder('B')
        .datasourceUid('__expr__')
        .model(new expr.TypeReduceBuilder().refId('B').expression('A').reducer('last').settings({ mode: 'dropNN' }).datasource(EXPRESSION_DATASOURCE)),
    )
    .withQuery(
      new alerting.QueryBuilder('C')
        .datasourceUid('__expr__')
        .model(
          new expr.TypeThresholdBuilder()
            .refId('C')
            .expression('B')
            .conditions([{ evaluator: { type: 'gt', params: [rule.above] } }])
            .datasource(EXPRESSION_DATASOURCE),
        ),
    )
    .forDuration(durationText(rule.pendingSeconds))
    .noDataState(rule.noDataState)
    .execErrState(rule.execErrState)
    .labels({ severity: rule.severity, team: 'data' })
    .annotations({ summary: grafanaSummary(rule), __dashboardUid__: rule.dashboardUid, __panelId__: String(rule.panelId) });
}

/**
 * The SDK's Rule follows the HTTP API; the file format differs: dashboard link as fields rather
 * than annotations, no folderUID/ruleGroup/orgID (the group carries them). Rules route through
 * the notification policy, so they carry no notification_settings.
 * This is the one place that maps between them.
 */
function toFileRule(rule: alerting.Rule): Record<string, unknown> {
  const { __dashboardUid__: dashboardUid, __panelId__: panelId, ...annotations } = rule.annotations ?? {};
  return {
    uid: rule.uid,
    title: rule.title,
    condition: rule.condition,
    data: rule.data.map((query) => ({
      refId: query.refId,
      datasourceUid: query.datasourceUid,
      ...(query.relativeTimeRange === undefined ? {} : { relativeTimeRange: query.relativeTimeRange }),
      model: query.model,
    })),
    for: rule.for,
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    labels: rule.labels,
    annotations,
    dashboardUid,
    panelId: Number(panelId),
    isPaused: false,
  };
}

/** Rule groups, contact point, policy and template as one `apiVersion: 1` alerting file. */
export function alertingProvisioning(telegram: TelegramSettings): Record<string, unknown> {
  const contactPoint = new alerting.ContactPointBuilder()
    .uid(CONTACT_POINT_UID)
    .name(CONTACT_POINT_NAME)
    .type('telegram')
    .settings({
      bottoken: `\${${telegram.botTokenVariable}}`,
      chatid: `\${${telegram.chatIdVariable}}`,
      parse_mode: 'HTML',
      disable_web_page_preview: true,
      message: CONTACT_POINT_MESSAGE,
    })
    .disableResolveMessage(false)
    .build();
  const policy = new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT_NAME)
    .groupBy(['alertname', 'grafana_folder'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .build();
  const template = new alerting.NotificationTemplateBuilder().name(TEMPLATE_NAME).template(grafanaTemplate()).build();
  const group = new alerting.RuleGroupBuilder(RULE_GROUP.name).interval(RULE_GROUP.intervalSeconds);
  for (const rule of ALERT_RULES) group.withRule(ruleBuilder(rule));
  const built = group.build();

  return {
    apiVersion: 1,
    templates: [{ orgId: 1, name: template.name, template: template.template }],
    contactPoints: [
      {
        orgId: 1,
        name: contactPoint.name,
        receivers: [{ uid: contactPoint.uid, type: contactPoint.type, disableResolveMessage: contactPoint.disableResolveMessage, settings: contactPoint.settings as unknown }],
      },
    ],
    policies: [{ orgId: 1, ...policy }],
    groups: [
      {
        orgId: 1,
        name: built.title,
        folder: RULE_GROUP.folder,
        interval: durationText(built.interval ?? RULE_GROUP.intervalSeconds),
        rules: (built.rules ?? []).map(toFileRule),
      },
    ],
  };
}
