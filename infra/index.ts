import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { buildProvisioning } from '../dashboards/build.js';
import { projectRoot } from '../pipeline/config/project-root.js';
import { ClickHouse, CLICKHOUSE_ALIAS, CLICKHOUSE_HTTP_PORT } from './components/clickhouse.js';
import { Grafana } from './components/grafana.js';
import { Kafka } from './components/kafka.js';
import { MongoDb } from './components/mongodb.js';
import { Network } from './components/network.js';
import { PiiKeys } from './components/pii-keys.js';
import { PipelineImage } from './components/pipeline-image.js';
import { PipelineJob } from './components/pipeline-job.js';
import { hashFiles, listFiles } from './stack/content-hash.js';
import { buildContextFiles } from './stack/dockerignore.js';
import { endpoints, grafanaClickHouse } from './stack/endpoints.js';
import { readPinnedImages } from './stack/images.js';
import { readSettings } from './stack/settings.js';

const settings = readSettings();
const root = projectRoot();
const images = readPinnedImages(root);
const { stack, bindAddress, retainVolumes: retainVolume } = settings;

const network = new Network('network', { name: settings.networkName, stack });
const onNetwork = { stack, network: network.name, bindAddress, retainVolume };

const mongo = settings.mongo.existing.kind === 'container' ? new MongoDb('mongodb', { ...onNetwork, image: images.mongodb, hostPort: settings.mongo.port }) : undefined;
const kafka = settings.kafka.existing.kind === 'container' ? new Kafka('kafka', { ...onNetwork, image: images.kafka, hostPort: settings.kafka.port }) : undefined;
const clickhouse =
  settings.clickhouse.existing.kind === 'container'
    ? new ClickHouse('clickhouse', {
        ...onNetwork,
        image: images.clickhouse,
        httpPort: settings.clickhouse.httpPort,
        user: settings.clickhouse.user,
        database: settings.clickhouse.database,
        configFiles: listFiles(join(root, 'infra', 'clickhouse')),
      })
    : undefined;
const at = endpoints(settings, { mongo, kafka, clickhouse });

const grafana = new Grafana('grafana', {
  ...onNetwork,
  image: images.grafana,
  clickhousePlugin: images.grafanaClickhousePlugin,
  hostPort: settings.grafana.port,
  alerting: settings.grafana.alerting,
  provisioning: buildProvisioning(grafanaClickHouse(settings, `http://${CLICKHOUSE_ALIAS}:${CLICKHOUSE_HTTP_PORT}`)),
  provisioningEnvironment: {
    CLICKHOUSE_PASSWORD: at.clickhouse.password,
    TELEGRAM_BOT_TOKEN: settings.telegram.botToken,
    TELEGRAM_CHAT_ID: settings.telegram.chatId,
  },
}, { dependsOn: clickhouse ? [clickhouse.container] : [] });

const image = new PipelineImage('pipeline-image', { context: root, contextFiles: buildContextFiles(root) });
const piiKeys = new PiiKeys('pii-keys', { keyId: settings.piiKeyId });

const job = { stack, image: image.imageName, network: network.name };
const logging = { PICCHA_LOG_LEVEL: settings.logLevel };
const mongoEnv = { MONGO_URL: at.mongoUrl, MONGO_DB: settings.mongo.database };
const kafkaEnv = { KAFKA_BROKERS: at.kafkaBrokers, PICCHA_TOPIC_PREFIX: settings.topics.prefix, PICCHA_TOPIC_PARTITIONS: String(settings.topics.partitions) };
const clickhouseEnv = {
  CLICKHOUSE_URL: at.clickhouse.url,
  CLICKHOUSE_USER: at.clickhouse.user,
  CLICKHOUSE_PASSWORD: at.clickhouse.password,
  CLICKHOUSE_DATABASE: at.clickhouse.database,
};

// Migrations reach the job as uploaded files, not through the image: an edit replaces this job alone.
const sqlFiles = listFiles(join(root, 'sql'));
const migrate = new PipelineJob('migrate', {
  ...job,
  job: 'migrate',
  kind: 'one-shot',
  command: ['migrate', '--dir', '/app/sql'],
  environment: { ...logging, ...clickhouseEnv },
  uploads: sqlFiles.map((file) => ({ file: `/app/sql/${file.path}`, content: file.content.toString('utf8') })),
  labels: { 'analytics.piccha.sql-hash': hashFiles(sqlFiles) },
}, { dependsOn: clickhouse ? [clickhouse.container] : [] });

const { generate: counts } = settings;
const generateAndLoad = new PipelineJob('generate-and-load', {
  ...job,
  job: 'generate-and-load',
  kind: 'one-shot',
  command: [
    'generate', '--format', 'mongo', '--seed', String(counts.seed), '--dirty', counts.dirty,
    '--stores', String(counts.stores), '--products', String(counts.products),
    '--customers', String(counts.customers), '--purchases', String(counts.purchases),
  ],
  environment: { ...logging, ...mongoEnv },
}, { dependsOn: mongo ? [mongo.container] : [] });

const produce = new PipelineJob('produce', {
  ...job,
  job: 'produce',
  kind: 'long-running',
  command: ['produce', '--follow'],
  environment: { ...logging, ...mongoEnv, ...kafkaEnv, PICCHA_PII_KEYS: piiKeys.keys, PICCHA_PII_INDEX_KEY: piiKeys.indexKey },
}, { dependsOn: generateAndLoad.succeeded.apply((loaded): pulumi.Resource[] => [...loaded, ...(mongo ? [mongo.container] : []), ...(kafka ? [kafka.container] : [])]) });

// Replicas share one consumer group: Kafka spreads the topics' partitions over them.
const ingest = Array.from({ length: settings.ingest.replicas }, (_, index) => new PipelineJob(`ingest-${index + 1}`, {
  ...job,
  job: `ingest-${index + 1}`,
  kind: 'long-running',
  command: ['ingest', '--follow', '--group', settings.ingest.group, '--max-batch-rows', String(settings.ingest.maxBatchRows), '--max-batch-ms', String(settings.ingest.maxBatchMs)],
  environment: { ...logging, ...kafkaEnv, ...clickhouseEnv },
}, { dependsOn: migrate.succeeded.apply((migrated): pulumi.Resource[] => [...migrated, ...(kafka ? [kafka.container] : [])]) }));

// The views' own one-minute schedule keeps running; this refreshes them as soon as RAW changes.
const martRefresh = new PipelineJob('mart-refresh', {
  ...job,
  job: 'mart-refresh',
  kind: 'long-running',
  command: ['refresh', '--follow'],
  environment: { ...logging, ...clickhouseEnv },
}, { dependsOn: migrate.succeeded });

/** The image's state folder (Dockerfile: PICCHA_STATE_DIR, created and owned by user node). */
const IMAGE_STATE_DIR = '/home/node/.piccha';
// Grafana's alerting notifies Telegram itself; with it off, the pipeline's evaluator does.
const alertEvaluator = settings.grafana.alerting
  ? undefined
  : new PipelineJob('alert-evaluator', {
      ...job,
      job: 'alert-evaluator',
      kind: 'long-running',
      command: ['alerts', 'check', '--watch'],
      environment: { ...logging, ...clickhouseEnv, TELEGRAM_BOT_TOKEN: settings.telegram.botToken, TELEGRAM_CHAT_ID: settings.telegram.chatId },
      labels: { 'analytics.piccha.dashboards-hash': image.dashboardsHash },
      // Firing instances and undelivered messages outlive the container.
      volume: { containerPath: IMAGE_STATE_DIR, retain: retainVolume },
    }, { dependsOn: migrate.succeeded });

export const networkName = network.name;
export const grafanaUrl = grafana.url;
export const dashboardUrls = grafana.dashboardUrls;
export const grafanaAdminPassword = grafana.adminPassword;
export const clickhouseHttpUrl = at.clickhouse.publicUrl;
export const clickhouseUser = at.clickhouse.user;
export const clickhousePassword = pulumi.secret(at.clickhouse.password);
export const kafkaBootstrap = at.kafkaBootstrap;
export const mongoUrl = at.mongoPublicUrl;
export const pipelineImage = image.imageName;
export const jobs = pulumi.all([migrate, generateAndLoad, produce, ...ingest, martRefresh, ...(alertEvaluator ? [alertEvaluator] : [])].map((each) => each.container.name));
