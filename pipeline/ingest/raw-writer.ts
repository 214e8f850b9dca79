import type { ClickHouse, InsertSettings } from '../clickhouse/clickhouse.js';
import type { Logger } from '../log/logger.js';
import { retryUntilDeadline, type RetryPolicy } from '../system/retry.js';
import { LANDING_TABLE, landingRows, type LandedMessage } from './landing.js';
import { INGEST_TABLES, PURCHASE_ITEMS, REJECTED_TABLE } from './raw-tables.js';

/**
 * Synchronous inserts: acknowledged means every view's rows are written to parts (not to an
 * async buffer that a crash can lose). Verified on the embedded engine (ClickHouse 26.x, where
 * async_insert defaults to 1). One insert thread keeps each table's rows of an insert in one
 * part on servers from 26.8 on, where max_insert_threads defaults to the core count.
 */
export const INSERT_SETTINGS: InsertSettings = { async_insert: 0, max_insert_threads: 1 };

/** Where a test may stop the process dead (SIGKILL) to prove a restart loses and duplicates nothing. */
export const FAULT_POINTS = ['before-insert', 'after-insert'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface Fault {
  readonly point: FaultPoint;
  /** The flush (1, 2, 3…) at which to stop. */
  readonly flush: number;
}

export interface FlushResult {
  /** Rows this flush added per RAW table. */
  readonly written: ReadonlyMap<string, number>;
  /** Per topic, rows this flush added to `rejected`, by error kind. */
  readonly rejected: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per topic, messages RAW held already (redelivered after a crash or rebalance), not written again. */
  readonly skipped: ReadonlyMap<string, number>;
}

export class ClickHouseUnavailable extends Error {}

type Held = {
  readonly table: string;
  readonly kafka_topic: string;
  readonly error_kind: string;
  readonly rows: string;
};

/** The offsets a flush covers, per topic-partition. */
interface Span {
  readonly topic: string;
  readonly partition: number;
  first: bigint;
  last: bigint;
}

/**
 * Writes messages to RAW as one insert of their bytes into the landing table; ClickHouse's views
 * (sql/007–012) parse each into its RAW rows or a `rejected` row. RAW is its own ledger: every
 * view writes only the (topic, partition, offset)s its table does not hold, so a message
 * delivered again after a crash, a rebalance or a failed attempt adds nothing, and an insert can
 * be retried as it is, even one that landed in some tables before it failed.
 */
export class RawWriter {
  private flushes = 0;

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly roleOf: (topic: string) => string,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly fault?: Fault,
    private readonly abandoned: () => boolean = () => false,
  ) {}

  private stopHere(point: FaultPoint, flush: number): void {
    if (this.fault?.point === point && this.fault.flush === flush) process.kill(process.pid, 'SIGKILL');
  }

  async write(messages: readonly LandedMessage[]): Promise<FlushResult> {
    const flush = (this.flushes += 1);
    const empty: FlushResult = { written: new Map(), rejected: new Map(), skipped: new Map() };
    if (messages.length === 0) return empty;
    const spans = spansOf(messages);
    const rows = landingRows(messages, this.roleOf);
    const unavailable = (error: unknown) => new ClickHouseUnavailable(`ClickHouse (${this.clickhouse.description}) did not take the insert into ${LANDING_TABLE}: ${(error as Error).message}`, { cause: error });
    const attempt = <T>(what: string, operation: () => Promise<T>) =>
      retryUntilDeadline(operation, this.retry, (error, count) => this.logger.warn({ what, attempt: count, error: (error as Error).message }, 'ClickHouse failed; retrying'), this.abandoned).catch((error: unknown) => {
        throw unavailable(error);
      });
    const before = await attempt('reading what RAW holds', () => this.held(spans));
    this.stopHere('before-insert', flush);
    await attempt(`inserting into ${LANDING_TABLE}`, () => this.clickhouse.insertRowBinary(LANDING_TABLE, rows, INSERT_SETTINGS));
    this.stopHere('after-insert', flush);
    const after = await attempt('reading what RAW holds', () => this.held(spans));
    return resultOf(messages, before, after);
  }

  /** Rows each RAW table holds for the spans, per topic (and error kind for `rejected`). */
  private async held(spans: readonly Span[]): Promise<Map<string, number>> {
    const params: Record<string, unknown> = {};
    const where = spans
      .map(({ topic, partition, first, last }, index) => {
        Object.assign(params, { [`t${index}`]: topic, [`p${index}`]: partition, [`a${index}`]: first.toString(), [`b${index}`]: last.toString() });
        return `(kafka_topic = {t${index}:String} AND kafka_partition = {p${index}:UInt32} AND kafka_offset BETWEEN {a${index}:UInt64} AND {b${index}:UInt64})`;
      })
      .join(' OR ');
    const sql = INGEST_TABLES.map((table) => `SELECT '${table}' AS table, kafka_topic, ${table === REJECTED_TABLE ? 'error_kind' : "''"} AS error_kind, count() AS rows FROM ${table} WHERE ${where} GROUP BY kafka_topic, error_kind`).join(' UNION ALL ');
    const held = new Map<string, number>();
    for (const row of await this.clickhouse.query<Held>(sql, params)) held.set(heldKey(row.table, row.kafka_topic, row.error_kind), Number(row.rows));
    return held;
  }
}

const heldKey = (table: string, topic: string, kind: string) => JSON.stringify([table, topic, kind]);

function spansOf(messages: readonly LandedMessage[]): Span[] {
  const spans = new Map<string, Span>();
  for (const { topic, partition, offset } of messages) {
    const at = BigInt(offset);
    const key = `${topic}/${partition}`;
    const span = spans.get(key);
    if (span === undefined) spans.set(key, { topic, partition, first: at, last: at });
    else {
      if (at < span.first) span.first = at;
      if (at > span.last) span.last = at;
    }
  }
  return [...spans.values()];
}

/**
 * What the flush added: the difference of what RAW held before and after it. Each message
 * becomes one row of its entity's table or one of `rejected` (and a purchase its items), so a
 * message that added neither was held already.
 */
function resultOf(messages: readonly LandedMessage[], before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): FlushResult {
  const written = new Map<string, number>();
  const rejected = new Map<string, Map<string, number>>();
  const landed = new Map<string, number>();
  for (const [key, rows] of after) {
    const added = rows - (before.get(key) ?? 0);
    if (added <= 0) continue;
    const [table, topic, kind] = JSON.parse(key) as [string, string, string];
    written.set(table, (written.get(table) ?? 0) + added);
    if (table === REJECTED_TABLE) {
      const kinds = rejected.get(topic) ?? new Map<string, number>();
      kinds.set(kind, (kinds.get(kind) ?? 0) + added);
      rejected.set(topic, kinds);
    }
    // Items are extra rows of a purchase message, not messages of their own.
    if (table !== PURCHASE_ITEMS.table) landed.set(topic, (landed.get(topic) ?? 0) + added);
  }
  const perTopic = new Map<string, number>();
  for (const { topic } of messages) perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1);
  const skipped = new Map<string, number>();
  for (const [topic, count] of perTopic) {
    const held = count - (landed.get(topic) ?? 0);
    if (held > 0) skipped.set(topic, held);
  }
  return { written, rejected, skipped };
}
