import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS } from '../../dashboards/build.js';
import { dashboardUrls } from '../../infra/components/grafana.js';
import { SETTING_NAMES } from '../../infra/stack/settings.js';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { copyProject, declaredSettings, runProgram, type MockedResource, type ProgramRun } from '../helpers/pulumi-program.js';

// The program runs under Pulumi's mocks (no Docker, no Pulumi CLI here): each run is a child
// process with a fresh runtime, recording every resource's inputs as the engine would get them.
const TELEGRAM = { telegramBotToken: '123456:telegram-token-for-tests', telegramChatId: '-100987654321' };
const CONTAINER = 'docker:index/container:Container';
const SERVICES = ['mongodb', 'kafka', 'clickhouse', 'grafana'] as const;
type Service = (typeof SERVICES)[number];
const JOBS = ['migrate', 'generate-and-load', 'produce', 'ingest-1', 'mart-refresh'] as const;
/** A release number, as a pin must be: 8.0.15, 26.8.13.2; never a line (26.8) or latest. */
const RELEASE_TAG = /:\d+\.\d+\.\d+(\.\d+)?$/;
/** What a RandomPassword resolves to under the mocks (test/helpers/pulumi-mock-runner.ts). */
const GENERATED_PASSWORD = /^pw-[0-9a-f]{24}$/;
const images = JSON.parse(readFileSync(join(projectRoot(), 'infra', 'images.json'), 'utf8')) as Record<string, string>;
const dockerfile = readFileSync(join(projectRoot(), 'Dockerfile'), 'utf8');
/** Where the pipeline image keeps its state (Dockerfile: PICCHA_STATE_DIR). */
const imageStateDir = '/home/node/.piccha';

function find(run: ProgramRun, type: string, name: string): MockedResource {
  const found = run.resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name} among ${run.resources.map((r) => r.urn).join(', ')}`);
  return found;
}
const container = (run: ProgramRun, name: string) => find(run, CONTAINER, name);
/** The resources a component made: their URNs name the component's type as their parent. */
const childrenOf = (run: ProgramRun, component: string, type: string) => run.resources.filter((resource) => resource.type === type && resource.urn.includes(`::piccha:infra:${component}$${type}::`));

/** A value with secrets unwrapped, for reading. */
function reveal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reveal);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('$secret' in record) return reveal(record.$secret);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, reveal(inner)]));
  }
  return value;
}

/** A container's environment as a map. */
function envOf(resource: MockedResource): Record<string, string> {
  const list = reveal(resource.inputs.envs) as string[] | undefined;
  return Object.fromEntries((list ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** Strings holding `secret` outside a secret wrapper, with where they are. */
function plaintextUses(value: unknown, secret: string, path: string): string[] {
  if (typeof value === 'string') return value.includes(secret) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((inner, index) => plaintextUses(inner, secret, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('$secret' in record) return [];
    return Object.entries(record).flatMap(([key, inner]) => plaintextUses(inner, secret, `${path}.${key}`));
  }
  return [];
}

/** Inputs by URN, for comparing two runs. */
function inputsByUrn(run: ProgramRun): Map<string, string> {
  return new Map(run.resources.map((resource) => [resource.urn, JSON.stringify(resource.inputs)]));
}
function changedUrns(before: ProgramRun, after: ProgramRun): string[] {
  const a = inputsByUrn(before);
  const b = inputsByUrn(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((urn) => a.get(urn) !== b.get(urn)).sort();
}

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ config: TELEGRAM });
  expect(run.error, 'the program ran').toBeUndefined();
}, 60_000);

/** The rules every service component keeps, each its own test inside the component's describe. */
function serviceRules(component: string, name: Service, imageKey: string): void {
  it('runs one container, parented to the component', () => {
    const containers = childrenOf(run, component, CONTAINER);
    expect(containers.map((c) => c.name), `containers of piccha:infra:${component}`).toEqual([name]);
  });

  it(`pulls the image pinned in infra/images.json ("${imageKey}") at a full release number, never latest`, () => {
    const [image] = childrenOf(run, component, 'docker:index/remoteImage:RemoteImage');
    expect(image, `the RemoteImage of piccha:infra:${component}`).toBeDefined();
    if (image === undefined) return;
    expect(image.inputs.name, image.urn).toBe(images[imageKey]);
    expect(String(image.inputs.name), image.urn).toMatch(RELEASE_TAG);
    expect(image.inputs.keepLocally, `${image.urn}: pulumi destroy removes the pulled image`).toBe(false);
  });

  it('joins the stack network under its alias', () => {
    const network = find(run, 'docker:index/network:Network', 'network');
    const service = container(run, name);
    expect(service.inputs.networksAdvanced, service.urn).toEqual([{ name: network.inputs.name, aliases: [name] }]);
  });

  it('publishes one port, bound to 127.0.0.1', () => {
    const service = container(run, name);
    const ports = (service.inputs.ports as { ip?: string }[] | undefined) ?? [];
    expect(ports.map((port) => port.ip), service.urn).toEqual(['127.0.0.1']);
  });

  it('has a health check, and Pulumi waits until it is healthy', () => {
    const service = container(run, name);
    expect((service.inputs.healthcheck as { tests: string[] } | undefined)?.tests.length ?? 0, service.urn).toBeGreaterThan(1);
    expect(service.inputs.wait, service.urn).toBe(true);
  });

  it('restarts unless stopped', () => {
    const service = container(run, name);
    expect(service.inputs.restart, service.urn).toBe('unless-stopped');
  });

  it('keeps its data in a named volume that pulumi destroy removes by default', () => {
    const volumes = childrenOf(run, component, 'docker:index/volume:Volume');
    expect(volumes.map((v) => v.inputs.name), `volumes of piccha:infra:${component}`).toEqual([`piccha-dev-${name}`]);
    for (const volume of volumes) expect(volume.retainOnDelete, volume.urn).toBe(false);
    const mounts = (container(run, name).inputs.volumes as { volumeName: string }[] | undefined) ?? [];
    expect(mounts.map((m) => m.volumeName), container(run, name).urn).toEqual([`piccha-dev-${name}`]);
  });
}

/** The rules every pipeline job keeps. */
function jobRules(job: string): void {
  it('runs one container of the pipeline image, parented to its PipelineJob component', () => {
    const component = find(run, 'piccha:infra:PipelineJob', job);
    const each = container(run, job);
    expect(each.urn, component.urn).toContain('::piccha:infra:PipelineJob$docker:index/container:Container::');
    expect(each.inputs.image, each.urn).toBe(find(run, 'docker:index/image:Image', 'pipeline-image').inputs.imageName);
  });

  it('joins the stack network and publishes nothing', () => {
    const each = container(run, job);
    const network = find(run, 'docker:index/network:Network', 'network');
    expect(each.inputs.networksAdvanced, each.urn).toEqual([{ name: network.inputs.name }]);
    expect(each.inputs.ports, each.urn).toBeUndefined();
  });
}

function oneShotRule(job: string): void {
  it('runs once and attached, so that pulumi up waits for its exit code', () => {
    const each = container(run, job);
    expect(each.inputs, each.urn).toMatchObject({ restart: 'no', attach: true, mustRun: false });
  });
}

function longRunningRule(job: string): void {
  it('restarts unless stopped, and gets 30 s to finish its batch on SIGTERM', () => {
    const each = container(run, job);
    expect(each.inputs, each.urn).toMatchObject({ restart: 'unless-stopped', stopSignal: 'SIGTERM', stopTimeout: 30 });
  });
}

/** `job` waits for `before` and is created after it finished (for a service: after it was healthy). */
function expectAfter(of: ProgramRun, job: string, before: string): void {
  const later = container(of, job);
  const earlier = container(of, before);
  expect(later.dependencies, `${later.urn} waits for ${earlier.urn}`).toContain(earlier.urn);
  expect(later.started, `${later.urn} is created after ${earlier.urn} finished`).toBeGreaterThan(earlier.finished);
}

/** The job reaches ClickHouse by alias and port, as the user the server was created with. */
function expectClickHouseConnection(job: string): void {
  const each = container(run, job);
  const env = envOf(each);
  const server = envOf(container(run, 'clickhouse'));
  expect(env.CLICKHOUSE_URL, each.urn).toBe('http://clickhouse:8123');
  expect({ user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE }, each.urn).toEqual({ user: server.CLICKHOUSE_USER, password: server.CLICKHOUSE_PASSWORD, database: server.CLICKHOUSE_DB });
}

/** The job reaches MongoDB by alias and port, with the root password. */
function expectMongoConnection(job: string): void {
  const each = container(run, job);
  const password = envOf(container(run, 'mongodb')).MONGO_INITDB_ROOT_PASSWORD ?? '';
  expect(password.length).toBeGreaterThan(0);
  expect(envOf(each).MONGO_URL, each.urn).toContain(`:${password}@mongodb:27017/`);
}

describe('stack settings (Pulumi.yaml, infra/stack/settings.ts)', () => {
  it('Pulumi.yaml declares exactly the settings infra/stack/settings.ts reads, each with a type and description', () => {
    const declared = declaredSettings();
    expect(Object.keys(declared).sort()).toEqual([...SETTING_NAMES].sort());
    for (const [name, setting] of Object.entries(declared)) {
      expect(['string', 'integer', 'boolean'], `${name} has a type`).toContain(setting.type);
      expect(setting.description, `${name} has a description`).toBeTruthy();
    }
  });

  it('declares the Telegram settings as secrets without defaults, so a stack must set them', () => {
    const declared = declaredSettings();
    for (const name of ['telegramBotToken', 'telegramChatId']) {
      expect(declared[name]?.secret, name).toBe(true);
      expect(declared[name]?.default, name).toBeUndefined();
    }
  });

  it('rejects bad values in one error naming each setting and no value', async () => {
    const bad = await runProgram({ config: { ...TELEGRAM, bindAddress: 'everywhere', ingestReplicas: '0', kafkaBrokers: 'not a broker' } });
    expect(bad.error).toMatch(/bindAddress must be an IPv4 address/);
    expect(bad.error).toMatch(/ingestReplicas must be a whole number/);
    expect(bad.error).toMatch(/kafkaBrokers must be a comma-separated list/);
    expect(bad.error).not.toContain(TELEGRAM.telegramBotToken);
    expect(bad.resources).toEqual([]);
  }, 60_000);

  it('refuses a stack without the Telegram secrets', async () => {
    const missing = await runProgram({ config: {} });
    expect(missing.error).toMatch(/telegramBotToken is required/);
    expect(missing.error).toMatch(/telegramChatId is required/);
  }, 60_000);
});

describe('the program (infra/index.ts)', () => {
  it('has one component per service and per job', () => {
    const components = run.resources.filter((resource) => resource.type.startsWith('piccha:infra:')).map((resource) => `${resource.type}::${resource.name}`);
    expect(components.sort()).toEqual(
      [
        'piccha:infra:Network::network', 'piccha:infra:MongoDb::mongodb', 'piccha:infra:Kafka::kafka', 'piccha:infra:ClickHouse::clickhouse',
        'piccha:infra:Grafana::grafana', 'piccha:infra:PipelineImage::pipeline-image', 'piccha:infra:PiiKeys::pii-keys',
        ...JOBS.map((job) => `piccha:infra:PipelineJob::${job}`),
      ].sort(),
    );
  });

  it('parents every provider resource to a component', () => {
    for (const resource of run.resources.filter((r) => !r.type.startsWith('piccha:infra:'))) {
      expect(resource.urn, resource.urn).toMatch(/::piccha:infra:[A-Za-z]+\$/);
    }
  });

  it('binds the services to another address only when configured to', async () => {
    const open = await runProgram({ config: { ...TELEGRAM, bindAddress: '0.0.0.0' } });
    for (const name of SERVICES) {
      const service = container(open, name);
      expect((service.inputs.ports as { ip: string }[])[0]?.ip, service.urn).toBe('0.0.0.0');
    }
  }, 60_000);

  it('keeps every volume, and nothing else, on destroy when retainVolumes is set', async () => {
    const kept = await runProgram({ config: { ...TELEGRAM, retainVolumes: 'true' } });
    const keptVolumes = kept.resources.filter((r) => r.type === 'docker:index/volume:Volume');
    expect(keptVolumes).toHaveLength(SERVICES.length);
    for (const volume of keptVolumes) expect(volume.retainOnDelete, volume.urn).toBe(true);
    for (const other of kept.resources.filter((r) => r.type !== 'docker:index/volume:Volume')) expect(other.retainOnDelete, other.urn).toBe(false);
  }, 60_000);

  it('uses existing services instead of containers when configured, and points the jobs there', async () => {
    const existing = await runProgram({
      config: { ...TELEGRAM, mongoUrl: 'mongodb://ops:mongo-secret@mongo.internal:27017/', kafkaBrokers: 'k1.internal:9092,k2.internal:9092', clickhouseUrl: 'https://ch.internal:8443', clickhousePassword: 'ch-secret' },
    });
    expect(existing.error).toBeUndefined();
    for (const name of ['mongodb', 'kafka', 'clickhouse']) expect(existing.resources.some((r) => r.type === CONTAINER && r.name === name), name).toBe(false);
    const produce = container(existing, 'produce');
    expect(envOf(produce), produce.urn).toMatchObject({ MONGO_URL: 'mongodb://ops:mongo-secret@mongo.internal:27017/', KAFKA_BROKERS: 'k1.internal:9092,k2.internal:9092' });
    const ingest = container(existing, 'ingest-1');
    expect(envOf(ingest), ingest.urn).toMatchObject({ CLICKHOUSE_URL: 'https://ch.internal:8443', CLICKHOUSE_PASSWORD: 'ch-secret' });
    expect(existing.outputs.mongoUrl).toEqual({ value: 'mongodb://ops@mongo.internal:27017/', secret: false });
    for (const resource of existing.resources) {
      for (const secret of ['mongo-secret', 'ch-secret']) expect(plaintextUses(resource.inputs, secret, resource.urn), resource.urn).toEqual([]);
    }
  }, 60_000);
});

describe('Network component', () => {
  it('creates one Docker network, parented to the component', () => {
    const networks = run.resources.filter((r) => r.type === 'docker:index/network:Network');
    expect(networks.map((n) => n.urn)).toEqual([expect.stringContaining('::piccha:infra:Network$docker:index/network:Network::network')]);
  });

  it('puts every container of the stack on it', () => {
    const network = find(run, 'docker:index/network:Network', 'network');
    for (const each of run.resources.filter((r) => r.type === CONTAINER)) {
      const networks = each.inputs.networksAdvanced as { name: string }[];
      expect(networks.map((n) => n.name), each.urn).toEqual([network.inputs.name]);
    }
  });
});

describe('MongoDb component', () => {
  serviceRules('MongoDb', 'mongodb', 'mongodb');

  it('turns authentication on with a generated root password', () => {
    const mongodb = container(run, 'mongodb');
    const env = envOf(mongodb);
    const generated = find(run, 'random:index/randomPassword:RandomPassword', 'mongodb-root-password');
    expect(generated.urn).toContain('::piccha:infra:MongoDb$');
    expect(generated.inputs.length, generated.urn).toBeGreaterThanOrEqual(32);
    expect(env.MONGO_INITDB_ROOT_USERNAME, mongodb.urn).toBe('piccha_root');
    expect(env.MONGO_INITDB_ROOT_PASSWORD, mongodb.urn).toMatch(GENERATED_PASSWORD);
  });

  it('follows the configured host port', async () => {
    const moved = await runProgram({ config: { ...TELEGRAM, mongoPort: '27018' } });
    const mongodb = container(moved, 'mongodb');
    expect((mongodb.inputs.ports as { internal: number; external: number }[])[0], mongodb.urn).toMatchObject({ internal: 27017, external: 27018 });
    expect(moved.outputs.mongoUrl?.value).toBe('mongodb://piccha_root@127.0.0.1:27018/?authSource=admin');
  }, 60_000);
});

describe('Kafka component', () => {
  serviceRules('Kafka', 'kafka', 'kafka');

  it('runs Kafka 4.x from the official Apache image', () => {
    expect(images.kafka).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
  });

  it('runs one KRaft node, broker and controller, with no ZooKeeper', () => {
    const kafka = container(run, 'kafka');
    const env = envOf(kafka);
    expect(env.KAFKA_PROCESS_ROLES, kafka.urn).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS, kafka.urn).toBe('1@kafka:9093');
    expect(env.CLUSTER_ID, kafka.urn).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Object.keys(env).filter((name) => name.includes('ZOOKEEPER')), kafka.urn).toEqual([]);
  });

  it('advertises the internal listener to containers and the host one to the host', () => {
    const kafka = container(run, 'kafka');
    expect(envOf(kafka).KAFKA_ADVERTISED_LISTENERS, kafka.urn).toBe('INTERNAL://kafka:19092,EXTERNAL://127.0.0.1:9092');
  });

  it('advertises the configured host port', async () => {
    const moved = await runProgram({ config: { ...TELEGRAM, kafkaPort: '19093' } });
    const kafka = container(moved, 'kafka');
    expect(envOf(kafka).KAFKA_ADVERTISED_LISTENERS, kafka.urn).toBe('INTERNAL://kafka:19092,EXTERNAL://127.0.0.1:19093');
    expect(moved.outputs.kafkaBootstrap?.value).toBe('127.0.0.1:19093');
  }, 60_000);
});

describe('ClickHouse component', () => {
  serviceRules('ClickHouse', 'clickhouse', 'clickhouse');

  it('pins a release of an LTS line (ClickHouse cuts one each March and August: YY.3, YY.8)', () => {
    const minor = /^clickhouse\/clickhouse-server:\d+\.(\d+)\.\d+\.\d+$/.exec(images.clickhouse ?? '')?.[1];
    expect(['3', '8'], images.clickhouse).toContain(minor);
  });

  it('replaces the passwordless default user with one user and a generated password', () => {
    const clickhouse = container(run, 'clickhouse');
    const env = envOf(clickhouse);
    expect(env.CLICKHOUSE_USER, clickhouse.urn).toBe('piccha');
    expect(env.CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT, clickhouse.urn).toBe('0');
    const generated = find(run, 'random:index/randomPassword:RandomPassword', 'clickhouse-password');
    expect(generated.urn).toContain('::piccha:infra:ClickHouse$');
    expect(generated.inputs.length, generated.urn).toBeGreaterThanOrEqual(32);
    expect(env.CLICKHOUSE_PASSWORD, clickhouse.urn).toMatch(GENERATED_PASSWORD);
  });

  it('uploads its configuration from the repository (infra/clickhouse)', () => {
    const clickhouse = container(run, 'clickhouse');
    const expected = ['config.d/piccha.xml', 'users.d/piccha.xml'].map((path) => ({ file: `/etc/clickhouse-server/${path}`, content: readFileSync(join(projectRoot(), 'infra', 'clickhouse', path), 'utf8') }));
    expect(clickhouse.inputs.uploads, clickhouse.urn).toEqual(expected);
  });

  it("keeps the seed's open-files limit", () => {
    const clickhouse = container(run, 'clickhouse');
    expect(clickhouse.inputs.ulimits, clickhouse.urn).toEqual([{ name: 'nofile', soft: 262144, hard: 262144 }]);
  });

  it('follows the configured host port', async () => {
    const moved = await runProgram({ config: { ...TELEGRAM, clickhouseHttpPort: '18123' } });
    const clickhouse = container(moved, 'clickhouse');
    expect((clickhouse.inputs.ports as { internal: number; external: number }[])[0], clickhouse.urn).toMatchObject({ internal: 8123, external: 18123 });
    expect(moved.outputs.clickhouseHttpUrl?.value).toBe('http://127.0.0.1:18123');
  }, 60_000);
});

describe('Grafana component', () => {
  serviceRules('Grafana', 'grafana', 'grafana');

  it('installs the ClickHouse plugin at the version pinned in infra/images.json', () => {
    const grafana = container(run, 'grafana');
    expect(images.grafanaClickhousePlugin).toMatch(/^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/);
    expect(envOf(grafana).GF_PLUGINS_PREINSTALL_SYNC, grafana.urn).toBe(images.grafanaClickhousePlugin);
  });

  it('gets a generated admin password and has sign-up off', () => {
    const grafana = container(run, 'grafana');
    const env = envOf(grafana);
    const generated = find(run, 'random:index/randomPassword:RandomPassword', 'grafana-admin-password');
    expect(generated.urn).toContain('::piccha:infra:Grafana$');
    expect(generated.inputs.length, generated.urn).toBeGreaterThanOrEqual(24);
    expect(env.GF_SECURITY_ADMIN_PASSWORD, grafana.urn).toMatch(GENERATED_PASSWORD);
    expect(env.GF_USERS_ALLOW_SIGN_UP, grafana.urn).toBe('false');
  });

  it('uploads exactly the files dashboards/build.ts builds, under the provisioning root', () => {
    const grafana = container(run, 'grafana');
    const expected = buildProvisioning({ ...DEFAULT_BUILD_SETTINGS, clickhouse: { host: 'clickhouse', port: 8123, protocol: 'http', secure: false, database: 'piccha', user: 'piccha', passwordFrom: '${CLICKHOUSE_PASSWORD}' } });
    const uploads = grafana.inputs.uploads as { file: string; content: string }[];
    expect(uploads.map((u) => ({ path: u.file.replace('/etc/grafana/provisioning/', ''), content: u.content })).sort((a, b) => a.path.localeCompare(b.path)), grafana.urn).toEqual(
      expected.map((f) => ({ path: f.path, content: f.content })).sort((a, b) => a.path.localeCompare(b.path)),
    );
  });

  it('references the ClickHouse password by environment variable, and gets that variable as a secret', () => {
    const grafana = container(run, 'grafana');
    const uploads = grafana.inputs.uploads as { content: string }[];
    const password = envOf(container(run, 'clickhouse')).CLICKHOUSE_PASSWORD ?? '';
    expect(uploads.some((u) => u.content.includes('${CLICKHOUSE_PASSWORD}')), grafana.urn).toBe(true);
    expect(uploads.some((u) => u.content.includes(password)), grafana.urn).toBe(false);
    expect(envOf(grafana).CLICKHOUSE_PASSWORD, grafana.urn).toBe(password);
    expect(grafana.inputs.envs, grafana.urn).toHaveProperty('$secret');
  });

  it('gets the Telegram settings from secret configuration', () => {
    const grafana = container(run, 'grafana');
    expect(envOf(grafana), grafana.urn).toMatchObject({ TELEGRAM_BOT_TOKEN: TELEGRAM.telegramBotToken, TELEGRAM_CHAT_ID: TELEGRAM.telegramChatId });
  });

  it('keeps its own alerting on unless configured off', async () => {
    expect(envOf(container(run, 'grafana')).GF_UNIFIED_ALERTING_ENABLED, container(run, 'grafana').urn).toBe('true');
    const off = await runProgram({ config: { ...TELEGRAM, grafanaAlerting: 'false' } });
    expect(envOf(container(off, 'grafana')).GF_UNIFIED_ALERTING_ENABLED, container(off, 'grafana').urn).toBe('false');
  }, 60_000);

  it("derives each dashboard's URL from the uid and title in its provisioned JSON", () => {
    const files = [
      { path: 'dashboards/piccha.yaml', content: 'apiVersion: 1\n' },
      { path: 'dashboards/sales/sales.json', content: JSON.stringify({ uid: 'sales', title: 'Продажи' }) },
      { path: 'datasources/clickhouse.yaml', content: 'apiVersion: 1\n' },
    ];
    expect(dashboardUrls('http://127.0.0.1:3000', files)).toEqual({ Продажи: 'http://127.0.0.1:3000/d/sales' });
    expect(() => dashboardUrls('http://127.0.0.1:3000', [{ path: 'dashboards/x.json', content: '{}' }])).toThrow(/dashboards\/x.json has no uid or title/);
  });

  it('follows the configured host port', async () => {
    const moved = await runProgram({ config: { ...TELEGRAM, grafanaPort: '13000' } });
    const grafana = container(moved, 'grafana');
    expect((grafana.inputs.ports as { internal: number; external: number }[])[0], grafana.urn).toMatchObject({ internal: 3000, external: 13000 });
    expect(moved.outputs.grafanaUrl?.value).toBe('http://127.0.0.1:13000');
  }, 60_000);
});

describe('PipelineImage component', () => {
  it('builds the image from the repository Dockerfile, tagged by content', () => {
    const image = find(run, 'docker:index/image:Image', 'pipeline-image');
    expect(image.urn).toContain('::piccha:infra:PipelineImage$docker:index/image:Image::');
    expect(image.inputs.imageName, image.urn).toMatch(/^piccha-pipeline:[0-9a-f]{16}$/);
    // Pulumi runs the program in the project folder; the runner does too.
    expect(image.inputs.build, image.urn).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
  });
});

describe('PiiKeys component', () => {
  it('generates both keys from 32 random bytes each, parented to the component', () => {
    const keys = run.resources.filter((r) => r.type === 'random:index/randomBytes:RandomBytes');
    expect(keys.map((k) => k.name).sort()).toEqual(['pii-keys-encryption', 'pii-keys-index']);
    for (const key of keys) {
      expect(key.urn).toContain('::piccha:infra:PiiKeys$');
      expect(key.inputs.length, key.urn).toBe(32);
    }
  });

  it('gives the keys to produce alone, in the format the pipeline reads', () => {
    for (const name of [...SERVICES, ...JOBS]) {
      const each = container(run, name);
      const env = envOf(each);
      if (name === 'produce') {
        expect(env.PICCHA_PII_KEYS, each.urn).toMatch(/^pulumi1:[A-Za-z0-9_-]{43}$/);
        expect(env.PICCHA_PII_INDEX_KEY, each.urn).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } else {
        expect(env.PICCHA_PII_KEYS, each.urn).toBeUndefined();
        expect(env.PICCHA_PII_INDEX_KEY, each.urn).toBeUndefined();
      }
    }
  });
});

describe('PipelineJob migrate', () => {
  jobRules('migrate');
  oneShotRule('migrate');

  it('runs after ClickHouse is healthy', () => {
    expectAfter(run, 'migrate', 'clickhouse');
  });

  it('connects to ClickHouse by alias and port, as the user the server was created with', () => {
    expectClickHouseConnection('migrate');
  });

  it('stops the deployment, without starting ingest, when it fails', async () => {
    const failed = await runProgram({ config: TELEGRAM, exitCodes: { migrate: 1 } });
    expect(failed.error).toMatch(/job migrate exited with code 1/);
    expect(failed.resources.filter((r) => r.type === CONTAINER && r.name.startsWith('ingest')).map((r) => r.urn)).toEqual([]);
  }, 60_000);
});

describe('PipelineJob generate-and-load', () => {
  jobRules('generate-and-load');
  oneShotRule('generate-and-load');

  it('runs after MongoDB is healthy', () => {
    expectAfter(run, 'generate-and-load', 'mongodb');
  });

  it('writes to MongoDB by alias and port, with the root password', () => {
    const job = container(run, 'generate-and-load');
    expectMongoConnection('generate-and-load');
    expect(envOf(job).MONGO_DB, job.urn).toBe('piccha_db');
  });
});

describe('PipelineJob produce', () => {
  jobRules('produce');
  longRunningRule('produce');

  for (const before of ['kafka', 'mongodb', 'generate-and-load']) {
    it(`starts only after ${before} ${before === 'generate-and-load' ? 'has loaded the data' : 'is healthy'}`, () => {
      expectAfter(run, 'produce', before);
    });
  }

  it('reads MongoDB with the root password and writes to Kafka, by alias and port', () => {
    const produce = container(run, 'produce');
    expectMongoConnection('produce');
    expect(envOf(produce).KAFKA_BROKERS, produce.urn).toBe('kafka:19092');
  });
});

describe('PipelineJob ingest', () => {
  jobRules('ingest-1');
  longRunningRule('ingest-1');

  it('starts only after migrate has finished', () => {
    expectAfter(run, 'ingest-1', 'migrate');
  });

  it('reads Kafka and writes to ClickHouse by alias and port, as the user the server was created with', () => {
    const ingest = container(run, 'ingest-1');
    expect(envOf(ingest).KAFKA_BROKERS, ingest.urn).toBe('kafka:19092');
    expectClickHouseConnection('ingest-1');
  });

  it('runs as many containers as configured, in one consumer group', async () => {
    const three = await runProgram({ config: { ...TELEGRAM, ingestReplicas: '3', ingestGroup: 'ingest-test' } });
    const ingest = three.resources.filter((r) => r.type === CONTAINER && r.name.startsWith('ingest-'));
    expect(ingest.map((r) => r.name).sort()).toEqual(['ingest-1', 'ingest-2', 'ingest-3']);
    for (const each of ingest) expect(each.inputs.command, each.urn).toEqual(['ingest', '--follow', '--group', 'ingest-test', '--max-batch-rows', '50000', '--max-batch-ms', '1000']);
  }, 60_000);
});

describe('PipelineJob mart-refresh', () => {
  jobRules('mart-refresh');
  longRunningRule('mart-refresh');

  it('starts only after migrate has finished', () => {
    expectAfter(run, 'mart-refresh', 'migrate');
  });

  it('refreshes the MART whenever RAW changes, on ClickHouse by alias and port', () => {
    const refresher = container(run, 'mart-refresh');
    expect(refresher.inputs.command, refresher.urn).toEqual(['refresh', '--follow']);
    expectClickHouseConnection('mart-refresh');
  });
});

describe('PipelineJob alert-evaluator', () => {
  const ALERTING_OFF = { ...TELEGRAM, grafanaAlerting: 'false' };
  let off: ProgramRun;
  beforeAll(async () => {
    off = await runProgram({ config: ALERTING_OFF });
    expect(off.error, 'the program ran').toBeUndefined();
  }, 60_000);

  it('does not run while Grafana evaluates the alert rules itself', () => {
    expect(run.resources.filter((r) => r.name.startsWith('alert-evaluator')).map((r) => r.urn)).toEqual([]);
  });

  it('runs when Grafana alerting is off, with ClickHouse and the Telegram settings', () => {
    const evaluator = container(off, 'alert-evaluator');
    expect(evaluator.urn).toContain('::piccha:infra:PipelineJob$docker:index/container:Container::');
    expect(evaluator.inputs.command, evaluator.urn).toEqual(['alerts', 'check', '--watch']);
    expect(envOf(evaluator), evaluator.urn).toMatchObject({ TELEGRAM_BOT_TOKEN: TELEGRAM.telegramBotToken, TELEGRAM_CHAT_ID: TELEGRAM.telegramChatId, CLICKHOUSE_URL: 'http://clickhouse:8123' });
    expect(evaluator.inputs.restart, evaluator.urn).toBe('unless-stopped');
  });

  it('keeps its state directory in a named volume, so that a replaced container neither re-sends nor loses a message', () => {
    const evaluator = container(off, 'alert-evaluator');
    const volumes = off.resources.filter((r) => r.type === 'docker:index/volume:Volume' && r.name === 'alert-evaluator-data');
    expect(volumes.map((v) => v.urn)).toHaveLength(1);
    const [volume] = volumes;
    if (volume === undefined) return;
    expect(volume.urn, 'parented to its PipelineJob').toContain('::piccha:infra:PipelineJob$docker:index/volume:Volume::');
    expect(volume.inputs.name, volume.urn).toBe('piccha-dev-alert-evaluator');
    expect(volume.retainOnDelete, `${volume.urn}: pulumi destroy removes it by default`).toBe(false);
    // On the image's state folder, which the Dockerfile creates for user node (a fresh volume takes the owner of the path it covers).
    expect(evaluator.inputs.volumes, evaluator.urn).toEqual([{ volumeName: 'piccha-dev-alert-evaluator', containerPath: imageStateDir }]);
    expect(dockerfile).toMatch(new RegExp(`^RUN mkdir -p ${imageStateDir} && chown node:node ${imageStateDir}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`PICCHA_STATE_DIR=${imageStateDir}\\b`));
    // The other jobs keep nothing.
    for (const job of JOBS) expect(container(off, job).inputs.volumes, job).toBeUndefined();
  });

  it('keeps that volume on destroy when retainVolumes is set', async () => {
    const kept = await runProgram({ config: { ...ALERTING_OFF, retainVolumes: 'true' } });
    const volume = find(kept, 'docker:index/volume:Volume', 'alert-evaluator-data');
    expect(volume.retainOnDelete, volume.urn).toBe(true);
  }, 60_000);
});

describe('stack outputs', () => {
  it('exports the Grafana, ClickHouse, Kafka and MongoDB addresses a user opens, the MongoDB one without its password', () => {
    expect(run.outputs.grafanaUrl?.value).toBe('http://127.0.0.1:3000');
    expect(run.outputs.clickhouseHttpUrl?.value).toBe('http://127.0.0.1:8123');
    expect(run.outputs.kafkaBootstrap?.value).toBe('127.0.0.1:9092');
    expect(run.outputs.mongoUrl?.value).toBe('mongodb://piccha_root@127.0.0.1:27017/?authSource=admin');
  });

  it('exports one URL per provisioned dashboard, from its own uid and title', () => {
    const dashboards = buildProvisioning(DEFAULT_BUILD_SETTINGS).filter((file) => file.path.endsWith('.json')).map((file) => JSON.parse(file.content) as { uid: string; title: string });
    expect(dashboards.length).toBeGreaterThan(0);
    expect(run.outputs.dashboardUrls?.value).toEqual(Object.fromEntries(dashboards.map((dashboard) => [dashboard.title, `http://127.0.0.1:3000/d/${dashboard.uid}`])));
  });
});

describe('secrets', () => {
  /** Every secret value of the run: generated passwords and keys, and the Telegram settings. */
  function secretsOf(of: ProgramRun): string[] {
    const generated = of.resources.flatMap((r) => (r.type === 'random:index/randomPassword:RandomPassword' ? [envOfSecret(of, r.name)] : []));
    const produce = envOf(container(of, 'produce'));
    return [...generated, TELEGRAM.telegramBotToken, TELEGRAM.telegramChatId, produce.PICCHA_PII_KEYS ?? '', produce.PICCHA_PII_INDEX_KEY ?? ''].filter((s) => s !== '');
  }
  /** A generated password as the containers got it. */
  function envOfSecret(of: ProgramRun, name: string): string {
    const holders: Record<string, [string, string]> = {
      'mongodb-root-password': ['mongodb', 'MONGO_INITDB_ROOT_PASSWORD'],
      'clickhouse-password': ['clickhouse', 'CLICKHOUSE_PASSWORD'],
      'grafana-admin-password': ['grafana', 'GF_SECURITY_ADMIN_PASSWORD'],
    };
    const [holder, variable] = holders[name] ?? ['', ''];
    return envOf(container(of, holder))[variable] ?? '';
  }

  it('knows every generated secret (the test itself is not vacuous)', () => {
    expect(secretsOf(run)).toHaveLength(7);
    for (const secret of secretsOf(run)) expect(secret.length).toBeGreaterThan(5);
  });

  it('sends no secret in plaintext in any input', () => {
    for (const secret of secretsOf(run)) {
      for (const resource of run.resources) expect(plaintextUses(resource.inputs, secret, resource.urn), resource.urn).toEqual([]);
    }
  });

  it('exports no secret in plaintext', () => {
    for (const [name, output] of Object.entries(run.outputs)) {
      const found = secretsOf(run).filter((secret) => JSON.stringify(output.value).includes(secret));
      if (found.length > 0) expect(output.secret, `stack output ${name}`).toBe(true);
    }
    expect(run.outputs.grafanaAdminPassword?.secret).toBe(true);
    expect(run.outputs.clickhousePassword?.secret).toBe(true);
  });
});

describe('previews', () => {
  let copy: { root: string; remove: () => void };
  let baseline: ProgramRun;
  beforeAll(async () => {
    copy = copyProject();
    baseline = await runProgram({ root: copy.root, config: TELEGRAM });
  }, 60_000);
  afterAll(() => copy.remove());

  it('gives identical inputs on two runs with no change', async () => {
    const again = await runProgram({ root: copy.root, config: TELEGRAM });
    expect(changedUrns(baseline, again)).toEqual([]);
    expect(again.resources.length).toBe(baseline.resources.length);
  }, 60_000);

  it('changes only the migrate job when a migration is added', async () => {
    writeFileSync(join(copy.root, 'sql', '990_raw_preview_probe.sql'), 'CREATE TABLE IF NOT EXISTS piccha.preview_probe (id UInt64) ENGINE = MergeTree ORDER BY id;\n');
    try {
      const edited = await runProgram({ root: copy.root, config: TELEGRAM });
      const migrateUrn = container(baseline, 'migrate').urn;
      expect(changedUrns(baseline, edited)).toEqual([migrateUrn]);
      const uploads = container(edited, 'migrate').inputs.uploads as { file: string }[];
      expect(uploads.map((u) => u.file)).toContain('/app/sql/990_raw_preview_probe.sql');
    } finally {
      rmSync(join(copy.root, 'sql', '990_raw_preview_probe.sql'));
    }
  }, 60_000);

  it('changes only Grafana (and the image the evaluator would run) when a dashboard changes', async () => {
    const build = join(copy.root, 'dashboards', 'datasource.ts');
    const original = readFileSync(build, 'utf8');
    expect(original).toContain("DATASOURCE_NAME = 'ClickHouse (Пикча)'");
    writeFileSync(build, original.replace("DATASOURCE_NAME = 'ClickHouse (Пикча)'", "DATASOURCE_NAME = 'ClickHouse (Пикча, edited)'"));
    try {
      const edited = await runProgram({ root: copy.root, config: TELEGRAM });
      expect(changedUrns(baseline, edited)).toEqual(
        [container(baseline, 'grafana').urn, find(baseline, 'docker:index/image:Image', 'pipeline-image').urn].sort(),
      );
      // The image's tag, which the jobs run, stays; the dashboards' hash is a build argument.
      expect(find(edited, 'docker:index/image:Image', 'pipeline-image').inputs.imageName).toBe(find(baseline, 'docker:index/image:Image', 'pipeline-image').inputs.imageName);
    } finally {
      writeFileSync(build, original);
    }
  }, 60_000);

  it('also replaces the alert evaluator, which runs dashboard code, when Grafana alerting is off', async () => {
    const config = { ...TELEGRAM, grafanaAlerting: 'false' };
    const before = await runProgram({ root: copy.root, config });
    const build = join(copy.root, 'dashboards', 'datasource.ts');
    const original = readFileSync(build, 'utf8');
    expect(original).toContain("DATASOURCE_NAME = 'ClickHouse (Пикча)'");
    writeFileSync(build, original.replace("DATASOURCE_NAME = 'ClickHouse (Пикча)'", "DATASOURCE_NAME = 'ClickHouse (Пикча, edited)'"));
    try {
      const edited = await runProgram({ root: copy.root, config });
      expect(changedUrns(before, edited)).toEqual(
        [container(before, 'grafana').urn, container(before, 'alert-evaluator').urn, find(before, 'docker:index/image:Image', 'pipeline-image').urn].sort(),
      );
    } finally {
      writeFileSync(build, original);
    }
  }, 60_000);

  it('replaces the jobs when pipeline code changes', async () => {
    const file = join(copy.root, 'pipeline', 'cli', 'main.ts');
    const original = readFileSync(file, 'utf8');
    appendFileSync(file, '\n// edited\n');
    try {
      const edited = await runProgram({ root: copy.root, config: TELEGRAM });
      const changed = changedUrns(baseline, edited);
      for (const job of JOBS) expect(changed, job).toContain(container(baseline, job).urn);
      for (const service of SERVICES) expect(changed, service).not.toContain(container(baseline, service).urn);
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);
});
