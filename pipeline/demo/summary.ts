import { ENTITIES } from '../entities/entities.js';
import { formatRows } from '../cli/output.js';
import type { RuleOutcome } from '../alerts/check.js';
import { roubles, type Identity } from './reconcile.js';
import type { StageCounts } from './stage-counts.js';

export interface DemoSummary {
  readonly counts: StageCounts;
  readonly identities: readonly Identity[];
  readonly alerts: readonly RuleOutcome[];
  /** Notifications delivered by this run, and where they went (the notifier's destination). */
  readonly notified: number;
  readonly notifiedTo: string;
  readonly preview: string;
  readonly provisioning: string;
}

function alertState(rule: RuleOutcome): string {
  if (rule.error !== undefined) return `error: ${rule.error}`;
  if (rule.firing > 0) return `firing (${rule.firing})`;
  if (rule.pending > 0) return `pending (${rule.pending})`;
  return 'ok';
}

/** The demo's closing summary: counts per entity at every stage, what they reconcile to, money, duplicates, alerts, where to look. */
export function formatSummary(summary: DemoSummary): string {
  const { counts } = summary;
  const rows = ENTITIES.map((entity) => {
    const c = counts.entities[entity];
    return {
      entity,
      mongodb: c.mongo,
      kafka: c.kafka,
      dead_letters: c.deadLettered,
      raw: c.raw,
      raw_rejected: c.refusedByIngest,
      documents: c.documents,
      duplicates: c.duplicates,
      rejected: c.rejected,
      mart: c.mart,
    };
  });
  const purchases = counts.entities.purchases;
  const percent = counts.duplicatePercent.purchases;
  const failed = summary.identities.filter((identity) => !identity.holds);
  const lines = [
    formatRows(rows, 'table').trimEnd(),
    '',
    `kafka − documents    ${ENTITIES.map((entity) => `${entity} ${counts.entities[entity].kafka + counts.entities[entity].deadLettered - counts.entities[entity].documents}`).join(', ')} (versions and re-sends after a producer restart; MART keeps each document's latest)`,
    `dead-letter topic    ${counts.deadLetterTopic.kafka} message(s), ${counts.deadLetterTopic.raw} in piccha_raw.rejected`,
    ...(counts.otherTopicsMessages > 0
      ? [`other stacks         ClickHouse also holds ${counts.otherTopicsMessages} RAW message(s) of other topic prefixes; documents and duplicates are judged across all of them, so this stack's counts can differ (one ClickHouse per stack avoids it)`]
      : []),
    `revenue              ${roubles(counts.revenueKopecks.purchases)} in ${purchases.mart} purchases (MART)`,
    `duplicates           purchases ${purchases.duplicates} of ${purchases.documents} documents (${purchases.documents === 0 ? 0 : ((purchases.duplicates / purchases.documents) * 100).toFixed(1)}%); duplicates_log: ${percent === undefined ? 'no refresh yet' : `${percent.toFixed(1)}%`}`,
    ...summary.alerts.map((rule) => `alert                ${rule.title}: ${alertState(rule)}`),
    `notifications        ${summary.notified} by this run, ${summary.notifiedTo}`,
    `preview              ${summary.preview}`,
    `provisioning         ${summary.provisioning}`,
    failed.length === 0
      ? `reconciled           all ${summary.identities.length} identities hold`
      : `NOT reconciled       ${failed.map((identity) => identity.detail).join('; ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
