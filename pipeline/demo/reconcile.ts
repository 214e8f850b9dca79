import { ENTITIES } from '../entities/entities.js';
import type { StageCounts } from './stage-counts.js';

/** One identity the stage counts must satisfy. */
export interface Identity {
  readonly name: string;
  readonly holds: boolean;
  /** The identity with the figures put in, e.g. `purchases: MART 180 = documents 200 − duplicates 8 − rejected 12`. */
  readonly detail: string;
}

/**
 * The identities that hold once every stage has caught up, per entity:
 *
 *   judged    documents = MongoDB documents          (each stored document reached ClickHouse and was judged once:
 *                                                     a RAW document or a message refused before RAW)
 *   kafka     Kafka messages + dead letters ≥ documents  (every document at least once; more for versions and
 *                                                     re-sends after a producer restart, which MART collapses)
 *   ingest    Kafka messages = RAW rows + refused by the ingest  (the ingest wrote each message once)
 *   status    documents = kept + duplicates + rejected
 *   mart      MART rows = documents − duplicates − rejected
 *   rejected  rejected_rows = rejected
 *
 * and for the stack: dead-letter topic messages = the dead letters RAW holds, and MART revenue
 * (sum of purchase totals) = the sum of its items' totals, to the kopeck.
 */
export function reconcile(counts: StageCounts): Identity[] {
  const identities: Identity[] = [];
  const check = (name: string, holds: boolean, detail: string) => identities.push({ name, holds, detail });
  for (const entity of ENTITIES) {
    const c = counts.entities[entity];
    check(`${entity} judged`, c.documents === c.mongo, `${entity}: documents judged ${c.documents} = MongoDB documents ${c.mongo}`);
    check(`${entity} kafka`, c.kafka + c.deadLettered >= c.documents, `${entity}: Kafka messages ${c.kafka} + dead letters ${c.deadLettered} ≥ documents ${c.documents}`);
    check(`${entity} ingest`, c.kafka === c.raw + c.refusedByIngest, `${entity}: Kafka messages ${c.kafka} = RAW rows ${c.raw} + refused by the ingest ${c.refusedByIngest}`);
    check(`${entity} status`, c.documents === c.kept + c.duplicates + c.rejected, `${entity}: documents ${c.documents} = kept ${c.kept} + duplicates ${c.duplicates} + rejected ${c.rejected}`);
    check(`${entity} mart`, c.mart === c.documents - c.duplicates - c.rejected, `${entity}: MART rows ${c.mart} = documents ${c.documents} − duplicates ${c.duplicates} − rejected ${c.rejected}`);
    check(`${entity} rejected`, c.rejectedRows === c.rejected, `${entity}: rejected_rows ${c.rejectedRows} = rejected ${c.rejected}`);
  }
  const dlq = counts.deadLetterTopic;
  check('dead letters', dlq.kafka === dlq.raw, `dead-letter topic messages ${dlq.kafka} = dead letters in RAW ${dlq.raw}`);
  const revenue = counts.revenueKopecks;
  check('revenue', revenue.purchases === revenue.items, `MART revenue ${roubles(revenue.purchases)} = its items' totals ${roubles(revenue.items)}`);
  return identities;
}

/** Kopecks as roubles with two decimals and thin thousands separators: 1 234 567,89 ₽. */
export function roubles(kopecks: number): string {
  const sign = kopecks < 0 ? '−' : '';
  const whole = Math.floor(Math.abs(kopecks) / 100);
  const cents = String(Math.abs(kopecks) % 100).padStart(2, '0');
  return `${sign}${whole.toLocaleString('ru-RU')},${cents} ₽`;
}

/** True while the ingest or the producer has not caught up: waiting (and refreshing again) can still change the figures. */
export function stillArriving(counts: StageCounts): boolean {
  return ENTITIES.some((entity) => {
    const c = counts.entities[entity];
    return c.raw + c.refusedByIngest < c.kafka || c.kafka + c.deadLettered < c.mongo;
  });
}
