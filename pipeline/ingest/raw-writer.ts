import type { ClickHouse, InsertSettings } from '../clickhouse/clickhouse.js';
import type { Logger } from '../log/logger.js';
import type { Decoded } from './decode.js';
import { INGEST_TABLES, insertColumnsOf } from './raw-tables.js';
import { retryUntilDeadline, type RetryPolicy } from '../system/retry.js';
import { partitionKey, StoredOffsets } from './stored-offsets.js';

/**
 * Synchronous inserts: acknowledged means written to a part (not to an async buffer that a
 * crash can lose), and one insert of up to a million rows is one block, hence one part,
 * written whole or not at all. Verified on the embedded engine (ClickHouse 26.x, where
 * async_insert defaults to 1). One insert thread keeps it one part on servers from 26.8 on,
 * where max_insert_threads defaults to the core count and splits a plain INSERT's writes.
 */
export const INSERT_SETTINGS: InsertSettings = { async_insert: 0, max_insert_threads: 1 };

/** Where a test may stop the process dead (SIGKILL) to prove a restart loses and duplicates nothing. */
export const FAULT_POINTS = ['before-insert', 'between-inserts', 'after-insert'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface Fault {
  readonly point: FaultPoint;
  /** The flush (1, 2, 3…) at which to stop. */
  readonly flush: number;
}

export interface FlushResult {
  /** Rows written per table. */
  readonly written: ReadonlyMap<string, number>;
  /** Per topic, messages already in RAW (redelivered after a crash or rebalance), not written again. */
  readonly skipped: ReadonlyMap<string, number>;
}

export class ClickHouseUnavailable extends Error {}

/** Writes decoded messages to RAW: one insert per table, each row exactly once. */
export class RawWriter {
  private readonly stored: StoredOffsets;
  private flushes = 0;

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly fault?: Fault,
    private readonly abandoned: () => boolean = () => false,
  ) {
    this.stored = new StoredOffsets(clickhouse);
  }

  /** After a (re)assignment: what RAW holds is read again before the next write. */
  reassigned(): void {
    this.stored.reset();
  }

  private stopHere(point: FaultPoint, flush: number): void {
    if (this.fault?.point === point && this.fault.flush === flush) process.kill(process.pid, 'SIGKILL');
  }

  async write(messages: readonly { topic: string; partition: number; offset: number; decoded: Decoded }[]): Promise<FlushResult> {
    const flush = (this.flushes += 1);
    const byTable = new Map<string, { topic: string; partition: number; offset: number; line: string }[]>();
    for (const { topic, partition, offset, decoded } of messages) {
      for (const { table, line } of decoded.rows) {
        let rows = byTable.get(table);
        if (rows === undefined) byTable.set(table, (rows = []));
        rows.push({ topic, partition, offset, line });
      }
    }
    const written = new Map<string, number>();
    const skippedOffsets = new Map<string, { topic: string }>();
    let first = true;
    for (const table of INGEST_TABLES) {
      const candidates = byTable.get(table);
      if (candidates === undefined) continue;
      const columns = insertColumnsOf(table);
      if (first) this.stopHere('before-insert', flush);
      else this.stopHere('between-inserts', flush);
      first = false;
      const rows = await retryUntilDeadline(
        async () => {
          const fresh = await this.unwritten(table, candidates);
          if (fresh.length > 0) await this.clickhouse.insertCompact(table, { columns, body: `${fresh.map(({ line }) => line).join('\n')}\n` }, INSERT_SETTINGS);
          return fresh;
        },
        this.retry,
        (error, attempt) => {
          // The failed insert may have been written after all (a timeout on the way back):
          // read RAW again before the next attempt rather than trust what we knew.
          this.stored.reset();
          this.logger.warn({ table, attempt, error: (error as Error).message }, 'insert into ClickHouse failed; retrying');
        },
        this.abandoned,
      ).catch((error: unknown) => {
        throw new ClickHouseUnavailable(`ClickHouse (${this.clickhouse.description}) did not take the insert into ${table}: ${(error as Error).message}`, { cause: error });
      });
      this.logger.debug({ table, rows: rows.length }, 'inserted');
      for (const { topic, partition, offset } of rows) this.stored.written(table, topic, partition, offset);
      written.set(table, rows.length);
      if (rows.length < candidates.length) {
        const kept = new Set(rows.map(({ topic, partition, offset }) => `${partitionKey(topic, partition)}/${offset}`));
        for (const { topic, partition, offset } of candidates) {
          const key = `${partitionKey(topic, partition)}/${offset}`;
          if (!kept.has(key)) skippedOffsets.set(key, { topic });
        }
      }
    }
    this.stopHere('after-insert', flush);
    const skipped = new Map<string, number>();
    for (const { topic } of skippedOffsets.values()) skipped.set(topic, (skipped.get(topic) ?? 0) + 1);
    return { written, skipped };
  }

  /** The rows RAW does not hold yet, in (topic, partition, offset) order so that any insert writes a prefix of each partition. */
  private async unwritten<T extends { topic: string; partition: number; offset: number }>(table: string, candidates: readonly T[]): Promise<T[]> {
    const partitions = [...new Map(candidates.map(({ topic, partition }) => [partitionKey(topic, partition), { topic, partition }])).values()];
    const highest = await this.stored.highest(table, partitions);
    return candidates
      .filter(({ topic, partition, offset }) => offset > (highest.get(partitionKey(topic, partition)) ?? -1))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition || a.offset - b.offset : a.topic < b.topic ? -1 : 1));
  }
}
