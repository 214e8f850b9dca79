import type { ClickHouse, InsertSettings } from '../clickhouse/clickhouse.js';
import type { Logger } from '../log/logger.js';
import { retryUntilDeadline, type RetryPolicy } from '../system/retry.js';
import { landingInserts, type LandedMessage } from './landing.js';
import { INGEST_TABLES, PURCHASE_ITEMS, REJECTED_TABLE } from './raw-tables.js';

/**
 * Synchronous inserts: acknowledged means every view's rows are written to parts (not to an
 * async buffer that a crash can lose). Verified on the embedded engine (ClickHouse 26.x, where
 * async_insert defaults to 1). One insert thread keeps each table's rows of an insert in one
 * part on servers from 26.8 on, where max_insert_threads defaults to the core count.
 */
export const INSERT_SETTINGS: InsertSettings = { async_insert: 0, max_insert_threads: 1 };

/**
 * Where a test may stop the process dead (SIGKILL) to prove a restart loses and duplicates
 * nothing. between-inserts: after the first of a flush's landing inserts (one per role it
 * holds); a flush of one role never reaches it.
 */
export const FAULT_POINTS = ['before-insert', 'between-inserts', 'after-insert'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface Fault {
  readonly point: FaultPoint;
  /** The flush (1, 2, 3…) at which to stop. */
  readonly flush: number;
}

export interface FlushResult {
  /** Per topic, rows this flush added to `rejected`, by error kind. */
  readonly rejected: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per topic, messages RAW held already (redelivered after a crash or rebalance), not written again. */
  readonly skipped: ReadonlyMap<string, number>;
}

export class ClickHouseUnavailable extends Error {}

type Held = {
  readonly table: string;
  readonly kafka_topic: string;
  readonly kafka_partition: number;
  readonly error_kind: string;
  readonly rows: string;
};

/** The offsets a flush covers in one topic-partition. */
interface Span {
  readonly topic: string;
  readonly partition: number;
  first: bigint;
  last: bigint;
  messages: number;
}

const spanKey = (topic: string, partition: number) => `${topic}/${partition}`;
/** The tables a message of an entity topic or the dead-letter topic becomes one row of (items are extra rows of a purchase). */
const MESSAGE_TABLES = INGEST_TABLES.filter((table) => table !== PURCHASE_ITEMS.table);

/**
 * Writes messages to RAW as inserts of their bytes into their roles' landing tables (one insert
 * per role); ClickHouse's views (sql/008–013) parse each into its RAW rows or a `rejected` row.
 * RAW is its own ledger: every view writes only the (topic, partition, offset)s its table does
 * not hold, so a message delivered again after a crash, a rebalance or a failed attempt adds
 * nothing, and an insert can be retried as it is, even one that landed in some tables before it
 * failed.
 *
 * What a flush added is read from RAW: the rows `rejected` holds for its offsets afterwards, and,
 * for a partition whose offsets RAW may have held before (its first flush after an assignment),
 * every table's rows for them before and after. A partition this process has written since its
 * assignment is known to hold nothing past what it wrote, since one member writes it.
 */
export class RawWriter {
  private flushes = 0;
  /** Partitions whose rows past this process's last write of them are known to be none. */
  private readonly known = new Set<string>();

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly roleOf: (topic: string) => string,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly fault?: Fault,
  ) {}

  /** After an assignment changed: another member may have written any partition since. */
  reassigned(): void {
    this.known.clear();
  }

  private stopHere(point: FaultPoint, flush: number): void {
    if (this.fault?.point === point && this.fault.flush === flush) process.kill(process.pid, 'SIGKILL');
  }

  /** `abandoned` stops the retries (a rebalance, a failure elsewhere): what was not written is delivered again. */
  async write(messages: readonly LandedMessage[], abandoned: () => boolean): Promise<FlushResult> {
    const flush = (this.flushes += 1);
    if (messages.length === 0) return { rejected: new Map(), skipped: new Map() };
    const spans = spansOf(messages);
    const unknown = spans.filter(({ topic, partition }) => !this.known.has(spanKey(topic, partition)));
    const inserts = landingInserts(messages, this.roleOf);
    const attempt = <T>(what: string, operation: () => Promise<T>) =>
      retryUntilDeadline(operation, this.retry, (error, count) => this.logger.warn({ what, attempt: count, error: (error as Error).message }, 'ClickHouse failed; retrying'), abandoned).catch((error: unknown) => {
        throw new ClickHouseUnavailable(`ClickHouse (${this.clickhouse.description}) failed ${what}: ${(error as Error).message}`, { cause: error });
      });
    // Until this flush is written, what RAW holds of these partitions is not known for sure.
    for (const { topic, partition } of spans) this.known.delete(spanKey(topic, partition));
    const before = unknown.length === 0 ? new Map<string, number>() : await attempt('reading what RAW holds', () => this.held([{ tables: MESSAGE_TABLES, spans: unknown }]));
    this.stopHere('before-insert', flush);
    // One insert per role; a crash between two leaves the rest to the redelivery, which the ledger makes exact.
    for (const [index, { table, rows }] of inserts.entries()) {
      if (index === 1) this.stopHere('between-inserts', flush);
      await attempt(`inserting into ${table}`, () => this.clickhouse.insertRowBinary(table, rows, INSERT_SETTINGS));
    }
    this.stopHere('after-insert', flush);
    const reads = [{ tables: [REJECTED_TABLE], spans }];
    if (unknown.length > 0) reads.push({ tables: MESSAGE_TABLES.filter((table) => table !== REJECTED_TABLE), spans: unknown });
    const after = await attempt('reading what RAW holds', () => this.held(reads));
    for (const { topic, partition } of spans) this.known.add(spanKey(topic, partition));
    return resultOf(unknown, before, after);
  }

  /** Rows the tables hold for the spans, per table and topic-partition (and error kind for `rejected`). */
  private async held(reads: readonly { tables: readonly string[]; spans: readonly Span[] }[]): Promise<Map<string, number>> {
    const params: Record<string, unknown> = {};
    let next = 0;
    const selects: string[] = [];
    for (const { tables, spans } of reads) {
      const where = spans
        .map(({ topic, partition, first, last }) => {
          const at = next++;
          Object.assign(params, { [`t${at}`]: topic, [`p${at}`]: partition, [`a${at}`]: first.toString(), [`b${at}`]: last.toString() });
          return `(kafka_topic = {t${at}:String} AND kafka_partition = {p${at}:UInt32} AND kafka_offset BETWEEN {a${at}:UInt64} AND {b${at}:UInt64})`;
        })
        .join(' OR ');
      for (const table of tables) {
        selects.push(`SELECT '${table}' AS table, kafka_topic, kafka_partition, ${table === REJECTED_TABLE ? 'error_kind' : "''"} AS error_kind, count() AS rows FROM ${table} WHERE ${where} GROUP BY kafka_topic, kafka_partition, error_kind`);
      }
    }
    const held = new Map<string, number>();
    for (const row of await this.clickhouse.query<Held>(selects.join(' UNION ALL '), params)) held.set(heldKey(row.table, row.kafka_topic, Number(row.kafka_partition), row.error_kind), Number(row.rows));
    return held;
  }
}

const heldKey = (table: string, topic: string, partition: number, kind: string) => JSON.stringify([table, topic, partition, kind]);

function spansOf(messages: readonly LandedMessage[]): Span[] {
  const spans = new Map<string, Span>();
  for (const { topic, partition, offset } of messages) {
    const at = BigInt(offset);
    const key = spanKey(topic, partition);
    const span = spans.get(key);
    if (span === undefined) spans.set(key, { topic, partition, first: at, last: at, messages: 1 });
    else {
      if (at < span.first) span.first = at;
      if (at > span.last) span.last = at;
      span.messages += 1;
    }
  }
  return [...spans.values()];
}

/**
 * What the flush added: `rejected`'s new rows by kind, and, for the partitions RAW may have held
 * already, the messages that added a row to no table (each message becomes one row of its
 * entity's table or of `rejected`): those were held before.
 */
function resultOf(unknown: readonly Span[], before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): FlushResult {
  const rejected = new Map<string, Map<string, number>>();
  const landed = new Map<string, number>();
  for (const [key, rows] of after) {
    const added = rows - (before.get(key) ?? 0);
    if (added <= 0) continue;
    const [table, topic, partition, kind] = JSON.parse(key) as [string, string, number, string];
    if (table === REJECTED_TABLE) {
      const kinds = rejected.get(topic) ?? new Map<string, number>();
      kinds.set(kind, (kinds.get(kind) ?? 0) + added);
      rejected.set(topic, kinds);
    }
    landed.set(spanKey(topic, partition), (landed.get(spanKey(topic, partition)) ?? 0) + added);
  }
  const skipped = new Map<string, number>();
  for (const { topic, partition, messages } of unknown) {
    const held = messages - (landed.get(spanKey(topic, partition)) ?? 0);
    if (held > 0) skipped.set(topic, (skipped.get(topic) ?? 0) + held);
  }
  return { rejected, skipped };
}
