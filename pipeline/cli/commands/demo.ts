import { join } from 'node:path';
import { Command } from 'commander';
import { LOCAL_SERVICES, servicesUp } from '../../../infra/local/services.js';
import { notifierFor } from '../../alerts/notifiers.js';
import { AlertStateFile } from '../../alerts/state.js';
import type { ClickHouse } from '../../clickhouse/clickhouse.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../clickhouse/migrations.js';
import { loadConfig, type Config } from '../../config/config.js';
import { evaluateAlerts, type AlertRound } from '../../demo/alerts.js';
import { writeDashboards } from '../../demo/dashboards.js';
import { followLive } from '../../demo/follow.js';
import { refreshUntilComplete } from '../../demo/mart-ready.js';
import { formatSummary } from '../../demo/summary.js';
import { ENTITIES } from '../../entities/entities.js';
import { UserError } from '../../errors/user-error.js';
import { DIRTY_PROFILES } from '../../generate/defects.js';
import { DEFAULT_COUNTS, type GenerateOptions } from '../../generate/generator.js';
import { runGeneration } from '../../generate/run.js';
import { mongoSink } from '../../generate/sinks.js';
import { ingest, type IngestOptions } from '../../ingest/ingest.js';
import { createKafka } from '../../kafka/client.js';
import type { Logger } from '../../log/logger.js';
import { refreshableViews } from '../../mart/refresh.js';
import { connectMongo, hostsOf } from '../../mongo/client.js';
import { keyringFrom } from '../../pii/keys.js';
import { ensureLocalPiiKeys } from '../../pii/local-keys.js';
import { produce, type ProduceOptions } from '../../produce/producer.js';
import { topicNames } from '../../produce/topics.js';
import { createCountsProgress, createProgress } from '../../progress/progress.js';
import { smokeCheck } from '../../smoke/smoke-check.js';
import type { Db, MongoClient } from 'mongodb';
import { refuseWithout, wholeNumber } from '../arguments.js';
import { commandContext, serviceContext, type CommandContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { formatRows } from '../output.js';

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);

/** The seed the demo generates with: a rerun writes new versions of the same documents, not new ones. */
const DEMO_SEED = 42;
/** How long the MART may take to hold everything the ingest wrote before the demo reports what is missing. */
const MART_DEADLINE_MS = 120_000;
/** After Ctrl-C, `--follow` still drains the outbox, catches up the ingest and refreshes: this bounds it. */
const FOLLOW_STOP_GRACE_MS = 180_000;

interface DemoFlags {
  dirty: string;
  purchases: number;
  follow?: boolean;
  rate: number;
  refreshSeconds: number;
}

/** A local service whose address the environment sets is used as it is, not started. */
const ADDRESS_VARIABLES: Readonly<Record<string, string>> = { kafka: 'KAFKA_BROKERS', mongo: 'MONGO_URL', clickhouse: 'CLICKHOUSE_URL' };

function configuredAddress(name: string, config: Config): string {
  if (name === 'kafka') return config.kafka.brokers.join(',');
  if (name === 'mongo') return hostsOf(config.mongo.url ?? '');
  return config.clickhouse.mode === 'server' ? new URL(config.clickhouse.url).host : '';
}

async function startServices(context: CommandContext): Promise<void> {
  const external = LOCAL_SERVICES.filter((service) => process.env[ADDRESS_VARIABLES[service.name] ?? ''] !== undefined);
  const toStart = LOCAL_SERVICES.filter((service) => !external.includes(service)).map((service) => service.name);
  const statuses = toStart.length > 0 ? await servicesUp(serviceContext(context), { only: toStart }) : [];
  const rows = [
    ...statuses.map((status) => ({ service: status.title, address: status.address ?? '', detail: status.detail })),
    ...external.map((service) => ({ service: service.title, address: configuredAddress(service.name, context.config), detail: `set by ${ADDRESS_VARIABLES[service.name]}; not started here` })),
  ];
  process.stdout.write(formatRows(rows, 'table'));
}

interface Stack {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly clickhouse: ClickHouse;
  /** Where alert notifications go (Telegram, or printed), for the summary. */
  readonly notifiedTo: string;
  readonly produceOptions: Omit<ProduceOptions, 'follow' | 'signal'>;
  readonly ingestOptions: Omit<IngestOptions, 'follow' | 'signal'>;
  readonly views: readonly string[];
}

async function produceAll(stack: Stack): Promise<void> {
  const progress = createCountsProgress('produce', ENTITIES);
  const summary = await produce(stack.db, createKafka(stack.config.kafka, stack.logger), { ...stack.produceOptions, follow: false, onSent: (entity, messages) => progress.increment(entity, messages) }, stack.logger);
  progress.stop();
  const topics = stack.produceOptions.topics;
  process.stdout.write(formatRows(ENTITIES.map((entity) => ({ topic: topics.entities[entity], sent: summary[entity].sent, dead_lettered: summary[entity].deadLettered })), 'table'));
}

async function ingestAll(stack: Stack): Promise<void> {
  const ingested = await ingest(createKafka(stack.config.kafka, stack.logger), stack.clickhouse, { ...stack.ingestOptions, follow: false }, stack.logger);
  process.stdout.write(formatRows(Object.entries(ingested.topics).map(([topic, counts]) => ({ topic, messages: counts.messages, rejected: counts.rejected })), 'table'));
  const rejected = Object.values(ingested.topics).reduce((sum, counts) => sum + counts.rejected, 0);
  process.stdout.write(`${rejected} rejected into piccha_raw.rejected\n`);
}

/** Waits for the MART, evaluates the alerts, writes the dashboards, prints the summary; throws when the counts do not reconcile. */
async function closeOut(stack: Stack, alerts: (waitPending: boolean) => Promise<AlertRound>): Promise<void> {
  say('MART: refresh until it holds everything ingested');
  const handles = { db: stack.db, kafka: createKafka(stack.config.kafka, stack.logger), clickhouse: stack.clickhouse, topics: stack.produceOptions.topics };
  const mart = await refreshUntilComplete(handles, stack.views, MART_DEADLINE_MS);
  process.stdout.write(`${mart.refreshes} refresh(es) of ${stack.views.length} views\n`);
  say('alerts (the rules of `piccha alerts check`)');
  const round = await alerts(true);
  say('dashboards: Grafana provisioning and a preview without Grafana');
  const files = await writeDashboards(stack.config.stateDir, stack.clickhouse);
  say('summary');
  process.stdout.write(formatSummary({ counts: mart.counts, identities: mart.identities, alerts: round.rules, notified: round.sent, notifiedTo: stack.notifiedTo, ...files }));
  const failed = mart.identities.filter((identity) => !identity.holds);
  if (failed.length > 0) throw new UserError(`the counts do not reconcile: ${failed.map((identity) => identity.detail).join('; ')}`);
}

async function runDemo(flags: DemoFlags, command: Command): Promise<void> {
  refuseWithout(command, '--follow', ['--rate', '--refresh-seconds']);
  const defects = DIRTY_PROFILES[flags.dirty];
  if (defects === undefined) throw new UserError(`--dirty: unknown profile ${flags.dirty}; known: ${Object.keys(DIRTY_PROFILES).join(', ')}`);
  const context = commandContext();
  say('local services');
  await startServices(context);
  const created = ensureLocalPiiKeys(context.config.stateDir, context.config.pii);
  if (created !== undefined) context.logger.warn({ file: created }, 'created local PII keys (secret; keep the file)');
  // Read again: services.env and pii.env now say where the services listen and which keys to use.
  const config = loadConfig();
  const logger = context.logger;
  const notifier = notifierFor(config);
  const alertState = new AlertStateFile(join(config.stateDir, 'alerts', 'state.json'));

  // Before anything is opened: a refusal then leaves no connection that would keep the process alive.
  const unlock = alertState.lock();
  const opened: { clickhouse?: ClickHouse; client?: MongoClient } = {};
  try {
    const clickhouse = (opened.clickhouse = openClickHouse(config.clickhouse));
    const { client, db } = await connectMongo(config.mongo);
    opened.client = client;
    say('ClickHouse migrations');
    const migrations = readMigrations(defaultMigrationsDir());
    const report = await migrate(clickhouse, migrations);
    process.stdout.write(`${report.applied.length} applied, ${report.alreadyApplied.length} already applied\n`);

    const generation: GenerateOptions & { profile: string } = { seed: DEMO_SEED, now: Date.now(), days: 90, counts: { ...DEFAULT_COUNTS, purchases: flags.purchases }, defects, profile: flags.dirty };
    say(`generate → MongoDB ${config.mongo.database} (seed ${DEMO_SEED}, ${flags.purchases} purchases, ${flags.dirty} defects)`);
    const progress = createProgress('generate', undefined);
    const manifest = await runGeneration(generation, mongoSink(db), progress);
    progress.stop();
    process.stdout.write(formatRows(ENTITIES.map((entity) => ({ entity, documents: manifest.documents[entity] })), 'table'));

    const topics = topicNames(config.kafka.topicPrefix);
    const stack: Stack = {
      config,
      logger,
      db,
      clickhouse,
      notifiedTo: notifier.destination,
      produceOptions: { entities: ENTITIES, topics, partitions: config.kafka.partitions, batchSize: 1000, pollMs: 200, fromScratch: false, keyring: keyringFrom(config.pii), wait: true, command: flags.follow === true ? 'piccha demo --follow' : 'piccha demo' },
      ingestOptions: { topics, partitions: config.kafka.partitions, groupId: 'piccha-ingest', maxBatchRows: 10_000, maxBatchMs: 1000, deadlineMs: 120_000 },
      views: refreshableViews(migrations),
    };
    say(`produce → Kafka ${config.kafka.brokers.join(',')} (PII protected)`);
    await produceAll(stack);
    say('ingest → ClickHouse RAW (piccha_raw)');
    await ingestAll(stack);

    say('smoke check');
    process.stdout.write(formatRows(await smokeCheck(config, clickhouse, logger), 'table'));

    const alerts = (waitPending: boolean, signal?: AbortSignal) =>
      evaluateAlerts({ clickhouse, state: alertState, notifier, grafanaUrl: config.grafanaUrl, logger, waitPending, signal, onWaiting: (text) => process.stdout.write(`${text}\n`) });
    await closeOut(stack, (waitPending) => alerts(waitPending));
    if (flags.follow !== true) return;

    say(`following: ${flags.rate} purchases/s into MongoDB, produce and ingest following, MART refreshed every ${flags.refreshSeconds} s (Ctrl-C stops)`);
    const interruption = interruptible('demo --follow', FOLLOW_STOP_GRACE_MS);
    interruption.signal.addEventListener('abort', () => process.stdout.write('stopping: the last writes, the producer and the ingest flush and commit, then the MART is refreshed (Ctrl-C again exits at once)\n'));
    try {
      const written = await followLive(
        { db, kafka: () => createKafka(config.kafka, logger), clickhouse, logger },
        {
          generation,
          rate: flags.rate,
          refreshSeconds: flags.refreshSeconds,
          produce: stack.produceOptions,
          ingest: stack.ingestOptions,
          views: stack.views,
          signal: interruption.signal,
          onRefreshed: async (count) => {
            const round = await alerts(false);
            const files = await writeDashboards(config.stateDir, clickhouse);
            const [row] = await clickhouse.query<{ purchases: string }>('SELECT count() AS purchases FROM piccha_mart.purchases WHERE kafka_topic = {topic:String}', { topic: topics.entities.purchases });
            const firing = round.rules.filter((rule) => rule.firing > 0).map((rule) => rule.title);
            process.stdout.write(`${new Date().toISOString()}  written ${count}  MART purchases ${row?.purchases ?? '?'}  alerts firing: ${firing.length === 0 ? 'none' : firing.join(', ')}  preview ${files.preview}\n`);
          },
        },
      );
      say(`stopped after ${written} fresh purchases: draining what is left`);
      await produceAll(stack);
      await ingestAll(stack);
      await closeOut(stack, (waitPending) => alerts(waitPending, interruption.signal));
    } finally {
      interruption.dispose();
    }
  } finally {
    unlock();
    await opened.client?.close();
    await opened.clickhouse?.close();
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the whole pipeline locally: start the services, migrate, generate the chain data into MongoDB, produce to Kafka, ingest into ClickHouse, refresh the MART until it holds everything, evaluate the alerts, write the dashboards preview and print a summary whose counts must reconcile (non-zero exit otherwise)')
    .option('--dirty <profile>', `defect profile of the generated data (${Object.keys(DIRTY_PROFILES).join(', ')})`, 'light')
    .option('--purchases <n>', 'purchases to generate (up to 100000000; memory stays bounded)', wholeNumber('--purchases', 0, 100_000_000), DEFAULT_COUNTS.purchases)
    .option('--follow', 'then keep writing fresh purchases at --rate, with produce and ingest following, the MART refreshed and the alerts evaluated periodically, until Ctrl-C')
    .option('--rate <n>', 'with --follow: purchases per second (1–10000)', wholeNumber('--rate', 1, 10_000), 20)
    .option('--refresh-seconds <n>', 'with --follow: seconds between MART refreshes, alert evaluations and preview rewrites (1–3600)', wholeNumber('--refresh-seconds', 1, 3600), 10)
    .action(runDemo);
}
