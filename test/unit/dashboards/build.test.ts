/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { grafanaTemplate, renderMessage, TELEGRAM_MAX_MESSAGE, MAX_LISTED_ALERTS } from '../../../dashboards/alerting/message.js';
import { ALERT_RULES, duplicatesRule } from '../../../dashboards/alerting/rules.js';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS, type ProvisioningFile } from '../../../dashboards/build.js';
import { checkProvisioning } from '../../../dashboards/check/structure.js';
import { DATASOURCE_UID } from '../../../dashboards/datasource.js';
import { dashboardQueries } from '../../../dashboards/queries.js';
import { THRESHOLDS } from '../../../dashboards/thresholds.js';
import { allowedEnvironment } from '../../../pipeline/cli/commands/dashboards.js';

// The tests walk parsed YAML and JSON, which is untyped by nature.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const allowed = allowedEnvironment(DEFAULT_BUILD_SETTINGS);
const build = () => buildProvisioning(DEFAULT_BUILD_SETTINGS);
const file = (files: readonly ProvisioningFile[], path: string) => {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`no ${path}`);
  return found;
};
const replace = (files: readonly ProvisioningFile[], path: string, edit: (doc: Json) => void): ProvisioningFile[] =>
  files.map((f) => {
    if (f.path !== path) return f;
    const doc = (path.endsWith('.json') ? JSON.parse(f.content) : parse(f.content)) as Json;
    edit(doc);
    return { path, content: JSON.stringify(doc) };
  });

describe('buildProvisioning', () => {
  it('writes the three provisioning folders, the same bytes every time', () => {
    const first = build();
    expect(first.map((f) => f.path)).toEqual([
      'datasources/piccha-clickhouse.yaml',
      'dashboards/piccha.yaml',
      'dashboards/piccha/sales.json',
      'dashboards/piccha/quality.json',
      'alerting/piccha.yaml',
    ]);
    expect(build()).toEqual(first);
  });

  it('puts each spec’s query into its panel’s target, unchanged', () => {
    const files = build();
    const targets = ['dashboards/piccha/sales.json', 'dashboards/piccha/quality.json'].flatMap((path) =>
      (JSON.parse(file(files, path).content).panels as Json[]).map((panel) => [panel.title, panel.targets[0].rawSql]),
    );
    expect(targets).toEqual(dashboardQueries().filter((q) => q.kind === 'panel').map((q) => [q.title, q.sql]));
  });

  it('passes every structural check', () => {
    expect(checkProvisioning(build(), allowed)).toEqual([]);
  });

  it('keeps the ClickHouse password and the Telegram secrets as environment references only', () => {
    const files = build();
    const datasource = parse(file(files, 'datasources/piccha-clickhouse.yaml').content) as Json;
    const [source] = datasource.datasources as Json[];
    expect(source?.secureJsonData).toEqual({ password: '${CLICKHOUSE_PASSWORD}' });
    expect(JSON.stringify(source?.jsonData)).not.toContain('password');
    const alerting = parse(file(files, 'alerting/piccha.yaml').content) as Json;
    const settings = alerting.contactPoints[0].receivers[0].settings as Json;
    expect(settings.bottoken).toBe('${TELEGRAM_BOT_TOKEN}');
    expect(settings.chatid).toBe('${TELEGRAM_CHAT_ID}');
    expect(settings.message).not.toContain('$');
  });

  it('takes every threshold from THRESHOLDS, in rules and on panels', () => {
    const files = build();
    const alerting = parse(file(files, 'alerting/piccha.yaml').content) as Json;
    const rules = alerting.groups[0].rules as Json[];
    const thresholdOf = (rule: Json) => (rule.data as Json[]).find((q) => q.model.type === 'threshold')?.model.conditions[0].evaluator.params[0] as number;
    expect(Object.fromEntries(rules.map((rule) => [rule.uid, thresholdOf(rule)]))).toEqual({
      'piccha-duplicates-above-50': THRESHOLDS.duplicatePercent,
      'piccha-purchases-stale': THRESHOLDS.freshnessMinutes,
      'piccha-rejected-rows': THRESHOLDS.rejectedRowsPerHour,
    });
    const quality = JSON.parse(file(files, 'dashboards/piccha/quality.json').content) as Json;
    const duplicatesChart = (quality.panels as Json[]).find((panel) => panel.id === duplicatesRule.panelId);
    expect(duplicatesChart?.fieldConfig.defaults.thresholds.steps.map((step: Json) => step.value)).toEqual([null, THRESHOLDS.duplicatePercent]);
    expect(duplicatesChart?.fieldConfig.defaults.custom.thresholdsStyle.mode).toBe('dashed');
  });

  it('writes the rules in Grafana’s file shape: explicit states, integer time ranges, condition on a refId', () => {
    const alerting = parse(file(build(), 'alerting/piccha.yaml').content) as Json;
    expect(alerting.apiVersion).toBe(1);
    const group = alerting.groups[0] as Json;
    expect(group).toMatchObject({ orgId: 1, folder: 'Пикча', interval: '1m' });
    const duplicates = (group.rules as Json[]).find((rule) => rule.uid === duplicatesRule.uid) as Json;
    expect(duplicates).toMatchObject({ title: 'Дубликаты > 50%', condition: 'C', for: '2m', noDataState: 'OK', execErrState: 'Error' });
    expect(duplicates.data[0]).toMatchObject({ refId: 'A', datasourceUid: DATASOURCE_UID, relativeTimeRange: { from: 3600, to: 0 }, model: { format: 1, editorType: 'sql' } });
    expect(duplicates.annotations.summary).toContain('$values.B.Value');
    expect(alerting.policies[0].receiver).toBe(alerting.contactPoints[0].name);
  });

  it('follows the settings for the datasource and the dashboards path', () => {
    const files = buildProvisioning({
      ...DEFAULT_BUILD_SETTINGS,
      clickhouse: { ...DEFAULT_BUILD_SETTINGS.clickhouse, host: 'ch.internal', port: 8443, protocol: 'http', secure: true },
      provisioningRoot: '/srv/grafana/provisioning/',
    });
    const datasource = parse(file(files, 'datasources/piccha-clickhouse.yaml').content) as Json;
    expect(datasource.datasources[0].jsonData).toMatchObject({ host: 'ch.internal', port: 8443, protocol: 'http', secure: true });
    const provider = parse(file(files, 'dashboards/piccha.yaml').content) as Json;
    expect(provider.providers[0].options.path).toBe('/srv/grafana/provisioning/dashboards/piccha');
  });
});

describe('checkProvisioning finds', () => {
  const files = build();
  it('overlapping panels and duplicate ids', () => {
    const broken = replace(files, 'dashboards/piccha/sales.json', (doc) => {
      doc.panels[1].gridPos = { ...doc.panels[0].gridPos, x: doc.panels[0].gridPos.x + 1 };
      doc.panels[2].id = doc.panels[3].id;
    });
    const problems = checkProvisioning(broken, allowed);
    expect(problems.some((p) => p.includes('overlap'))).toBe(true);
    expect(problems.some((p) => p.includes('used twice'))).toBe(true);
  });
  it('an undefined variable, a foreign datasource and a string format', () => {
    const broken = replace(files, 'dashboards/piccha/sales.json', (doc) => {
      doc.panels[0].targets[0].rawSql += ' AND $__conditionalAll(x IN (${region:singlequote}), $region)';
      doc.panels[1].datasource = { type: 'prometheus', uid: 'prom' };
      doc.panels[2].targets[0].format = 'table';
    });
    const problems = checkProvisioning(broken, allowed);
    expect(problems.some((p) => p.includes('undefined $region'))).toBe(true);
    expect(problems.some((p) => p.includes('datasource other than'))).toBe(true);
    expect(problems.some((p) => p.includes('format must be a number'))).toBe(true);
  });
  it('a variable interpolated other than percent-encoded, in a panel or a variable query', () => {
    const broken = replace(files, 'dashboards/piccha/sales.json', (doc) => {
      doc.panels[0].targets[0].rawSql += ' AND $__conditionalAll(store_network IN (${network:singlequote}), $network)';
      doc.templating.list[1].query += ' AND city = ${city}';
    });
    const problems = checkProvisioning(broken, allowed);
    expect(problems.some((p) => p.includes('«${network:singlequote}» may leave a value live in SQL'))).toBe(true);
    expect(problems.some((p) => p.includes('variable city: «${city}»'))).toBe(true);
  });
  it('a condition without its refId, a missing execErrState, a literal bot token and a stray $', () => {
    const broken = replace(files, 'alerting/piccha.yaml', (doc) => {
      doc.groups[0].rules[0].condition = 'D';
      delete doc.groups[0].rules[1].execErrState;
      doc.contactPoints[0].receivers[0].settings.bottoken = '123456:ABC';
      doc.groups[0].rules[2].title = 'Стоимость $total';
    });
    const problems = checkProvisioning(broken, allowed);
    expect(problems.some((p) => p.includes('condition D'))).toBe(true);
    expect(problems.some((p) => p.includes('execErrState missing'))).toBe(true);
    expect(problems.some((p) => p.includes('bottoken must be an environment reference'))).toBe(true);
    expect(problems.some((p) => p.includes('«$total»'))).toBe(true);
  });
});

describe('the Telegram message', () => {
  it('stays under Telegram’s limit with the most instances and the longest labels it can list', () => {
    for (const rule of ALERT_RULES) {
      const instances = Array.from({ length: MAX_LISTED_ALERTS + 5 }, (_, index) => ({ labels: { entity: `purchase_items_${index}`.padEnd(64, 'x'), window: '2026-11-26 00:00 — 2026-11-26 01:00' }, value: 99.94 }));
      const text = renderMessage(rule, 'firing', instances, 'https://grafana.example.org/d/piccha-quality');
      expect([...text].length).toBeLessThan(TELEGRAM_MAX_MESSAGE);
      expect(text).toContain(`… всего ${instances.length}`);
    }
  });
  it('escapes HTML in values and renders the threshold, value and window', () => {
    const text = renderMessage(duplicatesRule, 'firing', [{ labels: { entity: 'a<b>&c', window: 'w' }, value: 60 }], undefined);
    expect(text).toBe(`🔴 <b>Сработало: Дубликаты &gt; 50%</b>\n• a&lt;b&gt;&amp;c: дубликатов 60.0% (порог 50%), окно w\n`);
  });
  it('Grafana template pipes every value through html and defines the name the contact point calls', () => {
    const template = grafanaTemplate();
    expect(template.startsWith('{{ define "piccha.telegram" }}')).toBe(true);
    for (const use of template.match(/\{\{ [^}]*(Annotations|Labels)[^}]*\}\}/g) ?? []) expect(use).toContain('| html');
  });
});
