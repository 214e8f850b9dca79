import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { catalogOf, purchasesAt, type GenerateOptions } from '../generate/generator.js';
import { newManifest } from '../generate/manifest.js';
import { ingest, type IngestOptions } from '../ingest/ingest.js';
import { MongoDocumentWriter } from '../load/mongo-writer.js';
import type { Logger } from '../log/logger.js';
import { refreshViews } from '../mart/refresh.js';
import { produce, type ProduceOptions } from '../produce/producer.js';

export interface FollowOptions {
  /** The demo's generation: fresh purchases continue its positions, over its catalog. */
  readonly generation: GenerateOptions;
  /** Purchases per second written into MongoDB. */
  readonly rate: number;
  /** Seconds between MART refreshes (each followed by `onRefreshed`). */
  readonly refreshSeconds: number;
  readonly produce: Omit<ProduceOptions, 'follow' | 'signal'>;
  readonly ingest: Omit<IngestOptions, 'follow' | 'signal'>;
  readonly views: readonly string[];
  /** Stops the stream: the writes end, then the producer and the ingest flush, commit and return. */
  readonly signal: AbortSignal;
  /** After each periodic refresh: alerts, the preview, a status line. */
  readonly onRefreshed: (written: number) => Promise<void>;
}

export interface FollowStack {
  readonly db: Db;
  readonly kafka: () => Kafka;
  readonly clickhouse: ClickHouse;
  readonly logger: Logger;
}

const TICK_MS = 250;

/**
 * Keeps the stack live: fresh purchases written into MongoDB at a steady rate (dated now, with
 * the demo's defects), `produce --follow` and `ingest --follow` moving them on, and the MART
 * refreshed every `refreshSeconds`. Returns how many purchases it wrote once `signal` aborted
 * and every part stopped cleanly; a part that fails stops the others and its error is thrown.
 */
export async function followLive(stack: FollowStack, options: FollowOptions): Promise<number> {
  const catalog = catalogOf(options.generation);
  const manifest = newManifest({ seed: options.generation.seed, now: new Date().toISOString(), days: 2, profile: 'follow', rates: options.generation.defects.rates, max_copies: options.generation.defects.maxCopies });
  const parts = new AbortController();
  const stopParts = () => parts.abort();
  let failure: Error | undefined;
  const failed = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(JSON.stringify(error));
    parts.abort();
  };
  const producing = produce(stack.db, stack.kafka(), { ...options.produce, follow: true, signal: parts.signal }, stack.logger).catch(failed);
  const ingesting = ingest(stack.kafka(), stack.clickhouse, { ...options.ingest, follow: true, signal: parts.signal }, stack.logger).catch(failed);
  const writer = new MongoDocumentWriter(stack.db, { batchSize: 1000, command: 'piccha demo --follow', lookupsOnly: true });
  const first = options.generation.counts.purchases;
  let positions = 0;
  let written = 0;
  const started = performance.now();
  let nextRefresh = started + options.refreshSeconds * 1000;
  try {
    while (!options.signal.aborted && !parts.signal.aborted) {
      const due = Math.floor(((performance.now() - started) / 1000) * options.rate) - positions;
      if (due > 0) {
        // Dated yesterday or today, never later than now (one day alone has no valid time before the stores open).
        const generation = { ...options.generation, now: Date.now(), days: 2 };
        for (const { document } of purchasesAt(generation, catalog, first + positions, due, manifest)) {
          await writer.write('purchases', document);
          written += 1;
        }
        positions += due;
        await writer.flush();
      }
      if (performance.now() >= nextRefresh) {
        await refreshViews(stack.clickhouse, options.views);
        await options.onRefreshed(written);
        nextRefresh = performance.now() + options.refreshSeconds * 1000;
      }
      await delay(TICK_MS, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } catch (error) {
    failed(error);
  } finally {
    await writer.close().catch(failed);
    stopParts();
    await Promise.all([producing, ingesting]);
  }
  if (failure !== undefined) throw failure;
  return written;
}
