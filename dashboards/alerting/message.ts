import type { AlertRuleSpec } from './rules.js';

/**
 * The Telegram message, written once: as a Grafana notification template (Go text/template,
 * HTML parse mode) and as the renderer `piccha alerts check` uses. Both print the same lines.
 *
 * `$` never appears in the parts Grafana expands as environment variables (see
 * docs in the README): the contact point's `message` only calls this template, and the
 * `$labels`/`$values` references live in rule annotations, which Grafana does not expand.
 */
export const TEMPLATE_NAME = 'piccha.telegram';

const PHRASES = {
  firing: '🔴 <b>Сработало: {title}</b>',
  resolved: '✅ <b>Восстановлено: {title}</b>',
  link: '<a href="{url}">Дашборд «Качество данных»</a>',
} as const;

/** Telegram rejects a message longer than this; Grafana cuts it (possibly inside an HTML tag). */
export const TELEGRAM_MAX_MESSAGE = 4096;
/** At most this many instances are listed per message, which keeps it far below Telegram's limit. */
export const MAX_LISTED_ALERTS = 10;

const GO_SUMMARY_LABEL = /\{\{(\w+)\}\}/g;

/** The rule's summary as a Grafana annotation template: labels and values of this instance. */
export function grafanaSummary(rule: AlertRuleSpec): string {
  return rule.summary.replace(GO_SUMMARY_LABEL, (_, name: string) => {
    if (name === 'value') return '{{ printf "%.1f" $values.B.Value }}';
    if (name === 'threshold') return String(rule.above);
    return `{{ index $labels "${name}" }}`;
  });
}

/** The notification template Grafana provisions; the contact point's message is `{{ template "piccha.telegram" . }}`. */
export function grafanaTemplate(): string {
  const title = '{{ .CommonLabels.alertname | html }}';
  const list = (which: 'Firing' | 'Resolved') =>
    `{{ range $i, $a := .Alerts.${which} }}{{ if lt $i ${MAX_LISTED_ALERTS} }}• {{ $a.Annotations.summary | html }}\n{{ end }}{{ end }}` +
    `{{ if gt (len .Alerts.${which}) ${MAX_LISTED_ALERTS} }}… всего {{ len .Alerts.${which} }}\n{{ end }}`;
  return (
    `{{ define "${TEMPLATE_NAME}" }}` +
    `{{ if gt (len .Alerts.Firing) 0 }}${PHRASES.firing.replace('{title}', title)}\n${list('Firing')}{{ end }}` +
    `{{ if gt (len .Alerts.Resolved) 0 }}${PHRASES.resolved.replace('{title}', title)}\n${list('Resolved')}{{ end }}` +
    `{{ with index .Alerts 0 }}{{ if .DashboardURL }}${PHRASES.link.replace('{url}', '{{ .DashboardURL }}')}{{ end }}{{ end }}` +
    `{{ end }}`
  );
}

export const CONTACT_POINT_MESSAGE = `{{ template "${TEMPLATE_NAME}" . }}`;

/** Text that Telegram's HTML mode shows as is. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface AlertInstanceText {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | null;
}

/** One instance's summary, as Grafana renders the annotation. */
export function renderSummary(rule: AlertRuleSpec, instance: AlertInstanceText): string {
  return rule.summary.replace(GO_SUMMARY_LABEL, (_, name: string) => {
    if (name === 'value') return instance.value === null ? 'нет данных' : instance.value.toFixed(1);
    if (name === 'threshold') return String(rule.above);
    return instance.labels[name] ?? '';
  });
}

/** The message for a rule's instances that changed state, as the Grafana template prints it. */
export function renderMessage(rule: AlertRuleSpec, state: 'firing' | 'resolved', instances: readonly AlertInstanceText[], dashboardUrl: string | undefined): string {
  const heading = (state === 'firing' ? PHRASES.firing : PHRASES.resolved).replace('{title}', escapeHtml(rule.title));
  const lines = instances.slice(0, MAX_LISTED_ALERTS).map((instance) => `• ${escapeHtml(renderSummary(rule, instance))}\n`);
  if (instances.length > MAX_LISTED_ALERTS) lines.push(`… всего ${instances.length}\n`);
  const link = dashboardUrl === undefined ? '' : PHRASES.link.replace('{url}', escapeHtml(dashboardUrl));
  return `${heading}\n${lines.join('')}${link}`;
}
