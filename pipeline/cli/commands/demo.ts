import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS } from '../../../dashboards/build.js';
import { renderPreview } from '../../../dashboards/preview/render.js';
import { writeProvisioning } from '../../../dashboards/write.js';
import { servicesUp } from '../../../infra/local/services.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../clickhouse/migrations.js';
import { loadConfig } from '../../config/config.js';
import { ENTITIES } from '../../entities/entities.js';
import { DIRTY_PROFILES } from '../../generate/defects.js';
import { DEFAULT_COUNTS } from '../../generate/generator.js';
import { runGeneration } from '../../generate/run.js';
import { mongoSink } from '../../generate/sinks.js';
import { createKafka } from '../../kafka/client.js';
import { connectMongo } from '../../mongo/client.js';
import { keyringFrom } from '../../pii/keys.js';
import { ensureLocalPiiKeys } from '../../pii/local-keys.js';
import { ingest } from '../../ingest/ingest.js';
import { produce } from '../../produce/producer.js';
import { topicNames } from '../../produce/topics.js';
import { smokeCheck } from '../../smoke/smoke-check.js';
import { refreshableViews, refreshViews } from '../../mart/refresh.js';
import { commandContext, serviceContext } from '../context.js';
import { formatRows } from '../output.js';

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the pipeline locally: start the services, apply migrations, generate the seed-sized chain data into MongoDB, produce it to Kafka, ingest it into ClickHouse RAW, build the Grafana provisioning and the dashboards preview')
    .option('--dirty <profile>', 'defect profile of the generated data', 'light')
    .action(async (flags: { dirty: string }) => {
      const context = commandContext();
      say('local services');
      const statuses = await servicesUp(serviceContext(context));
      process.stdout.write(formatRows(statuses.map((status) => ({ service: status.title, address: status.address ?? '', detail: status.detail })), 'table'));
      const created = ensureLocalPiiKeys(context.config.stateDir, context.config.pii);
      if (created !== undefined) context.logger.warn({ file: created }, 'created local PII keys (secret; keep the file)');
      // Read again: services.env and pii.env now say where the services listen and which keys to use.
      const config = loadConfig();
      const defects = DIRTY_PROFILES[flags.dirty];
      if (defects === undefined) throw new Error(`--dirty: unknown profile ${flags.dirty}; known: ${Object.keys(DIRTY_PROFILES).join(', ')}`);

      const clickhouse = openClickHouse(config.clickhouse);
      const { client, db } = await connectMongo(config.mongo);
      try {
        say('ClickHouse migrations');
        const report = await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
        process.stdout.write(`${report.applied.length} applied, ${report.alreadyApplied.length} already applied\n`);

        say(`generate → MongoDB ${config.mongo.database} (seed 42, ${flags.dirty} defects)`);
        const manifest = await runGeneration({ seed: 42, now: Date.now(), days: 90, counts: DEFAULT_COUNTS, defects, profile: flags.dirty }, mongoSink(db));
        process.stdout.write(formatRows(ENTITIES.map((entity) => ({ entity, documents: manifest.documents[entity] })), 'table'));

        say(`produce → Kafka ${config.kafka.brokers.join(',')} (PII protected)`);
        const topics = topicNames(config.kafka.topicPrefix);
        const summary = await produce(
          db,
          createKafka(config.kafka, context.logger),
          { entities: ENTITIES, topics, partitions: config.kafka.partitions, batchSize: 1000, follow: false, pollMs: 500, fromScratch: false, keyring: keyringFrom(config.pii) },
          context.logger,
        );
        process.stdout.write(formatRows(ENTITIES.map((entity) => ({ topic: topics.entities[entity], sent: summary[entity].sent, dead_lettered: summary[entity].deadLettered })), 'table'));

        say('ingest → ClickHouse RAW (piccha_raw)');
        const ingested = await ingest(
          createKafka(config.kafka, context.logger),
          clickhouse,
          { topics, partitions: config.kafka.partitions, groupId: 'piccha-ingest', follow: false, maxBatchRows: 10_000, maxBatchMs: 1000, deadlineMs: 120_000 },
          context.logger,
        );
        process.stdout.write(formatRows(Object.entries(ingested.topics).map(([topic, counts]) => ({ topic, messages: counts.messages, rejected: counts.rejected })), 'table'));
        const rejected = Object.values(ingested.topics).reduce((sum, counts) => sum + counts.rejected, 0);
        process.stdout.write(`${rejected} rejected into piccha_raw.rejected\n`);

        say('smoke check');
        process.stdout.write(formatRows(await smokeCheck(config, clickhouse, context.logger), 'table'));

        say('dashboards: Grafana provisioning and a preview without Grafana');
        // The MART refreshes every minute on its own; the preview should show what was just ingested.
        await refreshViews(clickhouse, refreshableViews(readMigrations(defaultMigrationsDir())));
        const provisioning = join(config.stateDir, 'grafana', 'provisioning');
        writeProvisioning(provisioning, buildProvisioning(DEFAULT_BUILD_SETTINGS));
        const { html } = await renderPreview(clickhouse, new Date());
        const preview = join(config.stateDir, 'preview', 'dashboards.html');
        mkdirSync(join(config.stateDir, 'preview'), { recursive: true });
        writeFileSync(preview, html, 'utf8');
        process.stdout.write(`provisioning  ${provisioning}\npreview       ${preview}\n`);
      } finally {
        await client.close();
        await clickhouse.close();
      }
    });
}
