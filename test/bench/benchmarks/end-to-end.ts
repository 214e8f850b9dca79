import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouse } from '../../../pipeline/clickhouse/clickhouse.js';
import { openClickHouse } from '../../../pipeline/clickhouse/connect.js';
import { defaultMigrationsDir, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { loadConfig } from '../../../pipeline/config/config.js';
import { ENTITIES } from '../../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { catalogOf, DEFAULT_COUNTS, purchasesAt, type GenerateOptions } from '../../../pipeline/generate/generator.js';
import { newManifest } from '../../../pipeline/generate/manifest.js';
import { MongoDocumentWriter } from '../../../pipeline/load/mongo-writer.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { connectMongo } from '../../../pipeline/mongo/client.js';
import { generateKeys } from '../../../pipeline/pii/keys.js';
import { startLocalServices } from '../../helpers/local-services.js';
import { servicePeakMiB } from '../service-process.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { percentile, scaled, type Benchmark, type BenchResult } from '../harness.js';
import { runJob, startJob, type JobResult, type RunningJob } from '../jobs.js';

/** The ingest's flush interval (`--max-batch-ms`): freshness is reported as a multiple of it. */
const FLUSH_MS = 1000;
/** Purchases already in MongoDB (and through the pipeline) when freshness is measured: the issue's two sizes from `--scale 0.01` up, smaller below (quick checks). */
const FRESHNESS_BACKLOGS = [10_000, 100_000] as const;
/** Steady arrivals while freshness is measured. */
const FRESH_PER_SECOND = 5;
const FRESH_SECONDS = 30;
/** Positions of the fresh purchases (times the phase's number): far beyond any backlog, so that topping the backlog up never rewrites them. */
const FRESH_POSITION = 10_000_000;
/** How often the freshness phase looks for the fresh purchases in MART. */
const WATCH_MS = 50;
/** How often `refresh --follow` looks at RAW while it does not change. */
const FOLLOW_POLL_MS = 100;
/** What makes a purchase visible in MART: its judgement, then the fact table. */
const VISIBILITY_VIEWS = ['piccha_mart.document_status_rmv', 'piccha_mart.purchases_rmv'];

type Env = Readonly<Record<string, string>>;

const mib = (job: JobResult) => `peak RSS ${job.maxRssMiB.toFixed(0)} MiB`;

async function martPurchases(clickhouse: ClickHouse, topic: string): Promise<number> {
  const [row] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_mart.purchases WHERE kafka_topic = {topic:String}', { topic });
  return Number(row?.n ?? 0);
}

/** RAW emptied (and the MART with it): each phase starts from a ClickHouse that holds nothing of another phase's business keys. */
async function emptyClickHouse(clickhouse: ClickHouse, views: readonly string[]): Promise<void> {
  for (const table of [...ENTITIES, 'purchase_items', 'rejected']) await clickhouse.exec(`TRUNCATE TABLE piccha_raw.${table}`);
  await refreshViews(clickhouse, views);
}

/**
 * Polls `count` (pausing `pauseMs` between polls) until it reaches `expected`; fails naming
 * `where` when one of the following jobs exited or the deadline passed.
 */
async function untilHolds(where: string, count: () => Promise<number>, expected: number, jobs: readonly RunningJob[], deadlineMs: number, pauseMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let exited: JobResult | undefined;
  for (const job of jobs) void job.done.then((result) => (exited ??= result));
  for (;;) {
    if (exited !== undefined) throw new Error(`a job exited while following (${exited.code}): ${exited.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    const held = await count();
    if (held >= expected) return;
    if (Date.now() > deadline) throw new Error(`${where} holds ${held} of ${expected} purchases after ${deadlineMs / 1000} s`);
    await sleep(pauseMs);
  }
}

/** Until the MART holds `expected` purchases of the topic: refreshing it meanwhile, or, with `views` empty, leaving that to a follower (`refresh --follow`). */
const untilMartHolds = (clickhouse: ClickHouse, views: readonly string[], topic: string, expected: number, jobs: readonly RunningJob[], deadlineMs: number) =>
  untilHolds(
    'the MART',
    async () => {
      if (views.length > 0) await refreshViews(clickhouse, views);
      return martPurchases(clickhouse, topic);
    },
    expected,
    jobs,
    deadlineMs,
    200,
  );

/**
 * Waits, without refreshing anything, until RAW holds every purchase of the topic: meanwhile the
 * views refresh only on their own schedule, as deployed, instead of a loop competing for the CPU.
 */
const untilRawHolds = (clickhouse: ClickHouse, topic: string, expected: number, jobs: readonly RunningJob[], deadlineMs: number) =>
  untilHolds(
    'RAW',
    async () => {
      const [row] = await clickhouse.query<{ n: string }>('SELECT uniqExact(source_id) AS n FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}', { topic });
      return Number(row?.n ?? 0);
    },
    expected,
    jobs,
    deadlineMs,
    1000,
  );

/** Milliseconds a fresh purchase spent in each leg of its way, by wall clock (one machine, one clock). */
interface Legs {
  /** Acknowledged by MongoDB → its Kafka timestamp (the producer's send). */
  readonly toKafka: number[];
  /** Kafka timestamp → `ingested_at` (written by ClickHouse's views as the ingest's insert runs). */
  readonly toRaw: number[];
  /** `ingested_at` → the first MART query that returned it. */
  readonly toMart: number[];
}

interface Freshness {
  readonly latencies: number[];
  readonly legs: Legs;
}

/** Each purchase's legs, from its write and visibility times and what RAW recorded of it. */
async function legsOf(clickhouse: ClickHouse, topic: string, times: ReadonlyMap<string, { written: number; seen: number }>): Promise<Legs> {
  const rows = await clickhouse.query<{ source_id: string; sent: string; landed: string }>(
    'SELECT source_id, toString(min(toUnixTimestamp64Milli(kafka_timestamp))) AS sent, toString(min(toUnixTimestamp64Milli(ingested_at))) AS landed FROM piccha_raw.purchases WHERE kafka_topic = {topic:String} AND has({ids:Array(String)}, source_id) GROUP BY source_id',
    { topic, ids: [...times.keys()] },
  );
  const legs: Legs = { toKafka: [], toRaw: [], toMart: [] };
  for (const row of rows) {
    const time = times.get(row.source_id);
    if (time === undefined) continue;
    legs.toKafka.push(Number(row.sent) - time.written);
    legs.toRaw.push(Number(row.landed) - Number(row.sent));
    legs.toMart.push(time.seen - Number(row.landed));
  }
  return legs;
}

/**
 * Freshness with `backlog` purchases in MongoDB: purchases written steadily, each timed from
 * its write (acknowledged by MongoDB) to the first MART query that returns it, while produce,
 * ingest and `refresh --follow` (the two views a purchase needs) follow; and where that time went
 * (legs).
 */
async function measureFreshness(clickhouse: ClickHouse, env: Env, topic: string, firstPosition: number): Promise<Freshness> {
  const { client, db } = await connectMongo({ url: env.MONGO_URL ?? '', database: env.MONGO_DB ?? '' });
  const generation: GenerateOptions = { seed: 2, now: Date.now(), days: 2, counts: DEFAULT_COUNTS, defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } };
  const catalog = catalogOf(generation);
  const manifest = newManifest({ seed: 2, now: new Date().toISOString(), days: 2, profile: 'none', rates: {}, max_copies: 1 });
  const written = new Map<string, number>();
  const latencies: number[] = [];
  const times = new Map<string, { written: number; seen: number }>();
  let writing = true;
  let lastWrite = Date.now();
  const watcher = (async () => {
    const deadline = () => !writing && Date.now() > lastWrite + 300_000;
    while ((writing || written.size > 0) && !deadline()) {
      await sleep(WATCH_MS);
      if (written.size === 0) continue;
      // Fresh purchases are dated within the last two days: the date bound lets the MART's sort key skip the backlog's older days.
      const rows = await clickhouse.query<{ source_id: string }>('SELECT source_id FROM piccha_mart.purchases WHERE purchase_date >= today() - 3 AND kafka_topic = {topic:String} AND has({ids:Array(String)}, source_id)', { topic, ids: [...written.keys()] });
      const seen = performance.now();
      const seenAt = Date.now();
      for (const { source_id: id } of rows) {
        const at = written.get(id);
        if (at === undefined) continue;
        latencies.push(seen - at);
        written.delete(id);
        const time = times.get(id);
        if (time !== undefined) time.seen = seenAt;
      }
    }
    if (written.size > 0) throw new Error(`${written.size} fresh purchases never became visible in MART`);
  })();
  const writer = new MongoDocumentWriter(db, { batchSize: 1, command: 'bench freshness', lookupsOnly: true });
  try {
    const total = FRESH_PER_SECOND * FRESH_SECONDS;
    // The pace is set from the first write's acknowledgement, so that the writer's start (its
    // lease, its first look at the collection) cannot make the first purchases a burst.
    let start: number | undefined;
    for (let i = 0; i < total; i++) {
      const due = start === undefined ? 0 : start + (i * 1000) / FRESH_PER_SECOND;
      if (due > performance.now()) await sleep(due - performance.now());
      for (const { document } of purchasesAt({ ...generation, now: Date.now() }, catalog, firstPosition + i, 1, manifest)) {
        await writer.write('purchases', document);
        await writer.flush();
        written.set(String(document.source_id), performance.now());
        times.set(String(document.source_id), { written: Date.now(), seen: Number.NaN });
      }
      start ??= performance.now();
      lastWrite = Date.now();
    }
  } finally {
    writing = false;
    await writer.close();
    await watcher.finally(() => client.close());
  }
  return { latencies, legs: await legsOf(clickhouse, topic, times) };
}

const legsNote = (legs: Legs): string =>
  (
    [
      ['MongoDB → Kafka', legs.toKafka],
      ['Kafka → RAW', legs.toRaw],
      ['RAW → MART', legs.toMart],
    ] as const
  )
    .map(([leg, values]) => `${leg} ${(percentile(values, 50) / 1000).toFixed(2)}/${(percentile(values, 95) / 1000).toFixed(2)} s`)
    .join(', ');

export const endToEndBenchmark: Benchmark = {
  name: 'end-to-end',
  description: `purchases per second from MongoDB to a complete MART, 1,000,000 (produce, ingest and refresh as separate jobs): each stage alone, then all at once (the views on their own schedule, one refresh once RAW is complete), against the slowest stage alone; each job's peak RSS; freshness (insert into MongoDB → visible in MART) with ${FRESHNESS_BACKLOGS.join(' and ')} purchases already there, in seconds and in ingest flush intervals (${FLUSH_MS} ms)`,
  async run(options) {
    const purchases = scaled(1_000_000, options);
    const services = await startLocalServices(['kafka', 'mongo', 'clickhouse']);
    const state = makeTempDir('bench-e2e');
    const keys = generateKeys();
    const base: Env = { ...services.env, PICCHA_STATE_DIR: state.path, PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey, PICCHA_LOG_LEVEL: 'error' };
    const envOf = (prefix: string): Env => ({ ...base, MONGO_DB: `bench_${prefix}`, PICCHA_TOPIC_PREFIX: prefix });
    const clickhouse = openClickHouse(loadConfig({ ...base }).clickhouse);
    const following: RunningJob[] = [];
    try {
      await runJob(['migrate'], base);
      const views = refreshableViews(readMigrations(defaultMigrationsDir()));
      for (const view of VISIBILITY_VIEWS) if (!views.includes(view)) throw new Error(`the migrations no longer create ${view}`);
      const generate = (env: Env, count: number, seed: number) => runJob(['generate', '--format', 'mongo', '--dirty', 'none', '--seed', String(seed), '--purchases', String(count)], env);
      const results: BenchResult[] = [];
      // Each case as soon as it is measured: the whole run takes long, and a late failure should not lose the rest.
      const record = (result: BenchResult) => {
        results.push(result);
        process.stderr.write(`  measured: ${result.case}: ${result.size} ${result.unit} in ${result.seconds.toFixed(1)} s${result.note ? `; ${result.note}` : ''}\n`);
      };
      const size = { size: purchases, unit: 'purchases', group: 'end to end' } as const;

      // Each stage alone, one after another, on documents already in MongoDB.
      const alone = envOf('alone');
      await generate(alone, purchases, 1);
      const produced = await runJob(['produce'], alone);
      const ingested = await runJob(['ingest', '--max-batch-ms', String(FLUSH_MS)], alone);
      const refreshed = await runJob(['refresh'], alone);
      const stages = [
        { name: 'produce alone (MongoDB → Kafka)', job: produced },
        { name: 'ingest alone (Kafka → RAW)', job: ingested },
        { name: 'refresh alone (RAW → MART, every view)', job: refreshed },
      ];
      for (const stage of stages) record({ case: stage.name, ...size, seconds: stage.job.seconds, note: mib(stage.job) });
      const slowest = stages.reduce((a, b) => (b.job.seconds > a.job.seconds ? b : a));
      record({ case: `slowest stage alone: ${slowest.name.split(' ')[0] ?? ''}`, ...size, seconds: slowest.job.seconds, baseline: true });
      await emptyClickHouse(clickhouse, views);

      // All at once: the followers and the views' schedule, timed until the MART holds every purchase.
      const e2e = envOf('e2e');
      await generate(e2e, purchases, 1);
      const started = performance.now();
      const producer = startJob(['produce', '--follow', '--poll-ms', '200'], e2e);
      const ingester = startJob(['ingest', '--follow', '--max-batch-ms', String(FLUSH_MS)], e2e);
      following.push(producer, ingester);
      // The views' own schedule runs during the stream; once RAW is complete, one refresh (what
      // `piccha refresh` or the next scheduled run does) completes the MART.
      await untilRawHolds(clickhouse, 'e2e.purchases', purchases, [producer, ingester], 3_600_000);
      await untilMartHolds(clickhouse, views, 'e2e.purchases', purchases, [producer, ingester], 3_600_000);
      const seconds = (performance.now() - started) / 1000;
      producer.stop();
      ingester.stop();
      const [producerJob, ingesterJob] = await Promise.all([producer.done, ingester.done]);
      following.length = 0;
      record({ case: 'end to end: produce --follow ∥ ingest --follow ∥ scheduled refresh', ...size, seconds, note: `produce ${mib(producerJob)}, ingest ${mib(ingesterJob)}` });
      await emptyClickHouse(clickhouse, views);

      // Freshness, with the backlog already through the pipeline, written before the followers
      // start (as in the runs of RESULTS.md). FerretDB recreates a dropped collection on insert;
      // only an insert whose segment is dropped between its collection's creation and its rows
      // fails ("no such table"), and the writer then appends to the open segment (pipeline/outbox).
      const fresh = envOf('fresh');
      let freshSoFar = 0;
      const backlogs = FRESHNESS_BACKLOGS.map((backlog) => Math.min(backlog, scaled(backlog * 100, options)));
      for (const [phase, backlog] of backlogs.entries()) {
        await generate(fresh, backlog, 2);
        const freshProducer = startJob(['produce', '--follow', '--poll-ms', '200'], fresh);
        const freshIngester = startJob(['ingest', '--follow', '--max-batch-ms', String(FLUSH_MS)], fresh);
        const freshRefresher = startJob(['refresh', '--follow', '--poll-ms', String(FOLLOW_POLL_MS), '--only', ...VISIBILITY_VIEWS], fresh);
        following.push(freshProducer, freshIngester, freshRefresher);
        await untilMartHolds(clickhouse, [], 'fresh.purchases', backlog + freshSoFar, following, 3_600_000);
        const started = performance.now();
        // New positions each phase: a purchase written again would be visible at once, as its earlier version.
        const { latencies, legs } = await measureFreshness(clickhouse, fresh, 'fresh.purchases', FRESH_POSITION * (phase + 1));
        const seconds = (performance.now() - started) / 1000;
        freshSoFar += latencies.length;
        freshProducer.stop();
        freshIngester.stop();
        freshRefresher.stop();
        const [freshProducerJob, freshIngesterJob, freshRefresherJob] = await Promise.all([freshProducer.done, freshIngester.done, freshRefresher.done]);
        following.length = 0;
        const p50 = percentile(latencies, 50);
        const p95 = percentile(latencies, 95);
        record({
          case: `freshness, ${backlog.toLocaleString('en-US')} purchases in MongoDB, ${FRESH_PER_SECOND}/s arriving`,
          size: latencies.length,
          unit: 'purchases',
          seconds,
          latenciesMs: latencies,
          note: `p50 ${(p50 / 1000).toFixed(2)} s = ${(p50 / FLUSH_MS).toFixed(1)}×, p95 ${(p95 / 1000).toFixed(2)} s = ${(p95 / FLUSH_MS).toFixed(1)}× the flush interval; legs p50/p95: ${legsNote(legs)}; followers: produce ${mib(freshProducerJob)}, ingest ${mib(freshIngesterJob)}, refresh ${mib(freshRefresherJob)}`,
        });
      }
      const services_ = ['clickhouse', 'mongo', 'kafka'].map((name) => `${name} ${servicePeakMiB(services.stateDir, name).toFixed(0)} MiB`).join(', ');
      // No throughput of its own: a memory figure.
      record({ case: 'services, peak RSS over the whole benchmark', size: purchases, unit: 'purchases', seconds: Number.NaN, note: services_ });
      return results;
    } finally {
      for (const job of following) job.stop();
      await Promise.all(following.map((job) => job.done.catch(() => undefined)));
      await clickhouse.close();
      await services.stop();
      state.remove();
    }
  },
};
