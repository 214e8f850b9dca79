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
const JOBS = ['migrate', 'generate-and-load', 'produce', 'ingest-1'] as const;
const images = JSON.parse(readFileSync(join(projectRoot(), 'infra', 'images.json'), 'utf8')) as Record<string, string>;

function find(run: ProgramRun, type: string, name: string): MockedResource {
  const found = run.resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name} among ${run.resources.map((r) => r.urn).join(', ')}`);
  return found;
}
const container = (run: ProgramRun, name: string) => find(run, CONTAINER, name);

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

describe('stack settings', () => {
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

describe('every service and job', () => {
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

  it('runs a container for each service and each job', () => {
    for (const name of [...SERVICES, ...JOBS]) expect(container(run, name).urn).toContain(name);
  });

  it('runs the alert evaluator only when Grafana alerting is off', async () => {
    expect(run.resources.some((r) => r.name === 'alert-evaluator')).toBe(false);
    const off = await runProgram({ config: { ...TELEGRAM, grafanaAlerting: 'false' } });
    const evaluator = container(off, 'alert-evaluator');
    expect(evaluator.inputs.command, evaluator.urn).toEqual(['alerts', 'check', '--watch']);
    expect(envOf(evaluator), evaluator.urn).toMatchObject({ TELEGRAM_BOT_TOKEN: TELEGRAM.telegramBotToken, TELEGRAM_CHAT_ID: TELEGRAM.telegramChatId, CLICKHOUSE_URL: 'http://clickhouse:8123' });
    expect(envOf(container(off, 'grafana')).GF_UNIFIED_ALERTING_ENABLED).toBe('false');
  }, 60_000);

  it('runs as many ingest containers as configured, in one consumer group', async () => {
    const three = await runProgram({ config: { ...TELEGRAM, ingestReplicas: '3', ingestGroup: 'ingest-test' } });
    const ingest = three.resources.filter((r) => r.type === CONTAINER && r.name.startsWith('ingest-'));
    expect(ingest.map((r) => r.name).sort()).toEqual(['ingest-1', 'ingest-2', 'ingest-3']);
    for (const each of ingest) expect(each.inputs.command, each.urn).toEqual(['ingest', '--follow', '--group', 'ingest-test', '--max-batch-rows', '50000', '--max-batch-ms', '1000']);
  }, 60_000);
});

describe('images', () => {
  it('pulls each service image at the version pinned in infra/images.json, never latest', () => {
    const pulled = run.resources.filter((r) => r.type === 'docker:index/remoteImage:RemoteImage');
    expect(pulled.map((r) => r.inputs.name).sort()).toEqual([images.mongodb, images.kafka, images.clickhouse, images.grafana].sort());
    for (const image of pulled) expect(String(image.inputs.name), image.urn).toMatch(/:(\d+\.)+\d+$|:\d+\.\d+$/);
  });

  it('runs Kafka 4.x from the official Apache image, as one KRaft node', () => {
    expect(images.kafka).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    const env = envOf(container(run, 'kafka'));
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093');
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('removes pulled images on destroy with the rest of the stack', () => {
    for (const image of run.resources.filter((r) => r.type === 'docker:index/remoteImage:RemoteImage')) expect(image.inputs.keepLocally, image.urn).toBe(false);
  });

  it('installs the pinned ClickHouse plugin into Grafana', () => {
    expect(envOf(container(run, 'grafana')).GF_PLUGINS_PREINSTALL_SYNC).toBe(images.grafanaClickhousePlugin);
    expect(images.grafanaClickhousePlugin).toMatch(/^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/);
  });

  it('builds the pipeline image from the repository Dockerfile and runs every job from it', () => {
    const image = find(run, 'docker:index/image:Image', 'pipeline-image');
    expect(image.inputs.imageName, image.urn).toMatch(/^piccha-pipeline:[0-9a-f]{16}$/);
    // Pulumi runs the program in the project folder; the runner does too.
    expect(image.inputs.build, image.urn).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    for (const job of JOBS) expect(container(run, job).inputs.image, job).toBe(image.inputs.imageName);
  });
});

describe('network and ports', () => {
  it('puts every container on the stack network, services under their alias', () => {
    const network = find(run, 'docker:index/network:Network', 'network');
    for (const each of run.resources.filter((r) => r.type === CONTAINER)) {
      const networks = each.inputs.networksAdvanced as { name: string; aliases?: string[] }[];
      expect(networks.map((n) => n.name), each.urn).toEqual([network.inputs.name]);
      if ((SERVICES as readonly string[]).includes(each.name)) expect(networks[0]?.aliases, each.urn).toEqual([each.name]);
    }
  });

  it('binds every published port to 127.0.0.1', () => {
    const published = run.resources.filter((r) => r.type === CONTAINER).flatMap((r) => ((r.inputs.ports as { ip?: string }[] | undefined) ?? []).map((port) => ({ urn: r.urn, port })));
    expect(published.length).toBe(SERVICES.length);
    for (const { urn, port } of published) expect(port.ip, urn).toBe('127.0.0.1');
  });

  it('publishes nothing from the jobs', () => {
    for (const job of JOBS) expect(container(run, job).inputs.ports, job).toBeUndefined();
  });

  it('binds to another address only when configured to', async () => {
    const open = await runProgram({ config: { ...TELEGRAM, bindAddress: '0.0.0.0' } });
    for (const name of SERVICES) expect((container(open, name).inputs.ports as { ip: string }[])[0]?.ip, name).toBe('0.0.0.0');
  }, 60_000);
});

describe('ClickHouse server', () => {
  it('uploads its configuration from the repository (infra/clickhouse)', () => {
    const uploads = container(run, 'clickhouse').inputs.uploads as { file: string; content: string }[];
    const expected = ['config.d/piccha.xml', 'users.d/piccha.xml'].map((path) => ({ file: `/etc/clickhouse-server/${path}`, content: readFileSync(join(projectRoot(), 'infra', 'clickhouse', path), 'utf8') }));
    expect(uploads).toEqual(expected);
  });

  it("keeps the seed's open-files limit", () => {
    expect(container(run, 'clickhouse').inputs.ulimits).toEqual([{ name: 'nofile', soft: 262144, hard: 262144 }]);
  });
});

describe('stack outputs', () => {
  it('exports the Grafana, ClickHouse, Kafka and MongoDB addresses a user opens', () => {
    expect(run.outputs.grafanaUrl?.value).toBe('http://127.0.0.1:3000');
    expect(run.outputs.clickhouseHttpUrl?.value).toBe('http://127.0.0.1:8123');
    expect(run.outputs.kafkaBootstrap?.value).toBe('127.0.0.1:9092');
    expect(run.outputs.mongoUrl?.value).toBe('mongodb://piccha_root@127.0.0.1:27017/?authSource=admin');
    // One URL per dashboard the provisioning holds, from its own uid and title.
    const dashboards = buildProvisioning(DEFAULT_BUILD_SETTINGS).filter((file) => file.path.endsWith('.json')).map((file) => JSON.parse(file.content) as { uid: string; title: string });
    expect(dashboards.length).toBeGreaterThan(0);
    expect(run.outputs.dashboardUrls?.value).toEqual(Object.fromEntries(dashboards.map((dashboard) => [dashboard.title, `http://127.0.0.1:3000/d/${dashboard.uid}`])));
  });

  it("follows the configured host ports", async () => {
    const moved = await runProgram({ config: { ...TELEGRAM, grafanaPort: '13000', clickhouseHttpPort: '18123', kafkaPort: '19093', mongoPort: '27018' } });
    expect([moved.outputs.grafanaUrl?.value, moved.outputs.clickhouseHttpUrl?.value, moved.outputs.kafkaBootstrap?.value]).toEqual(['http://127.0.0.1:13000', 'http://127.0.0.1:18123', '127.0.0.1:19093']);
    expect(envOf(container(moved, 'kafka')).KAFKA_ADVERTISED_LISTENERS).toBe('INTERNAL://kafka:19092,EXTERNAL://127.0.0.1:19093');
    expect((container(moved, 'mongodb').inputs.ports as { internal: number; external: number }[])[0]).toMatchObject({ internal: 27017, external: 27018 });
  }, 60_000);
});

describe('health and order', () => {
  it('gives every service a health check and waits for it to be healthy', () => {
    for (const name of SERVICES) {
      const service = container(run, name);
      expect((service.inputs.healthcheck as { tests: string[] }).tests.length, service.urn).toBeGreaterThan(1);
      expect(service.inputs.wait, service.urn).toBe(true);
    }
  });

  it('restarts services and long-running jobs, never one-shot jobs', () => {
    for (const name of [...SERVICES, 'produce', 'ingest-1']) expect(container(run, name).inputs.restart, name).toBe('unless-stopped');
    for (const name of ['migrate', 'generate-and-load']) {
      const job = container(run, name);
      expect(job.inputs, job.urn).toMatchObject({ restart: 'no', attach: true, mustRun: false });
    }
  });

  it('creates ingest only after migrate has finished', () => {
    const migrate = container(run, 'migrate');
    const ingest = container(run, 'ingest-1');
    expect(ingest.dependencies, ingest.urn).toContain(migrate.urn);
    expect(ingest.started, `${ingest.urn} started after ${migrate.urn} finished`).toBeGreaterThan(migrate.finished);
  });

  it('creates produce only after Kafka and MongoDB are healthy and the data is loaded', () => {
    const produce = container(run, 'produce');
    for (const name of ['kafka', 'mongodb', 'generate-and-load']) {
      const before = container(run, name);
      expect(produce.dependencies, `${produce.urn} waits for ${before.urn}`).toContain(before.urn);
      expect(produce.started, `${produce.urn} after ${before.urn}`).toBeGreaterThan(before.finished);
    }
  });

  it('runs migrate after ClickHouse is healthy', () => {
    expect(container(run, 'migrate').dependencies).toContain(container(run, 'clickhouse').urn);
  });

  it('stops the deployment without starting ingest when migrate fails', async () => {
    const failed = await runProgram({ config: TELEGRAM, exitCodes: { migrate: 1 } });
    expect(failed.error).toMatch(/job migrate exited with code 1/);
    expect(failed.resources.some((r) => r.type === CONTAINER && r.name.startsWith('ingest'))).toBe(false);
  }, 60_000);
});

describe('connections', () => {
  it('points each job at the services by alias and port', () => {
    const expected: Record<string, Record<string, RegExp>> = {
      migrate: { CLICKHOUSE_URL: /^http:\/\/clickhouse:8123$/ },
      'generate-and-load': { MONGO_URL: /@mongodb:27017\//, MONGO_DB: /^piccha_db$/ },
      produce: { MONGO_URL: /@mongodb:27017\//, KAFKA_BROKERS: /^kafka:19092$/ },
      'ingest-1': { KAFKA_BROKERS: /^kafka:19092$/, CLICKHOUSE_URL: /^http:\/\/clickhouse:8123$/ },
    };
    for (const [job, variables] of Object.entries(expected)) {
      const env = envOf(container(run, job));
      for (const [name, pattern] of Object.entries(variables)) expect(env[name], `${job} ${name}`).toMatch(pattern);
    }
  });

  it('gives the jobs the ClickHouse user and password the server was created with', () => {
    const server = envOf(container(run, 'clickhouse'));
    for (const job of ['migrate', 'ingest-1']) {
      const env = envOf(container(run, job));
      expect({ user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE }, job).toEqual({ user: server.CLICKHOUSE_USER, password: server.CLICKHOUSE_PASSWORD, database: server.CLICKHOUSE_DB });
    }
  });

  it('gives the MongoDB root password to the jobs that read MongoDB', () => {
    const password = envOf(container(run, 'mongodb')).MONGO_INITDB_ROOT_PASSWORD ?? '';
    expect(password.length).toBeGreaterThan(0);
    for (const job of ['generate-and-load', 'produce']) expect(envOf(container(run, job)).MONGO_URL, job).toContain(`:${password}@mongodb:27017/`);
  });

  it('advertises the internal Kafka listener to containers and the host one to the host', () => {
    const env = envOf(container(run, 'kafka'));
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe('INTERNAL://kafka:19092,EXTERNAL://127.0.0.1:9092');
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Object.keys(env).some((name) => name.includes('ZOOKEEPER'))).toBe(false);
  });

  it('gives the PII keys to produce alone, in the format the pipeline reads', () => {
    for (const name of [...SERVICES, ...JOBS]) {
      const env = envOf(container(run, name));
      if (name === 'produce') {
        expect(env.PICCHA_PII_KEYS, name).toMatch(/^pulumi1:[A-Za-z0-9_-]{43}$/);
        expect(env.PICCHA_PII_INDEX_KEY, name).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } else {
        expect(env.PICCHA_PII_KEYS, name).toBeUndefined();
        expect(env.PICCHA_PII_INDEX_KEY, name).toBeUndefined();
      }
    }
  });

  it('uses existing services instead of containers when configured', async () => {
    const existing = await runProgram({
      config: { ...TELEGRAM, mongoUrl: 'mongodb://ops:mongo-secret@mongo.internal:27017/', kafkaBrokers: 'k1.internal:9092,k2.internal:9092', clickhouseUrl: 'https://ch.internal:8443', clickhousePassword: 'ch-secret' },
    });
    expect(existing.error).toBeUndefined();
    for (const name of ['mongodb', 'kafka', 'clickhouse']) expect(existing.resources.some((r) => r.type === CONTAINER && r.name === name), name).toBe(false);
    expect(envOf(container(existing, 'produce'))).toMatchObject({ MONGO_URL: 'mongodb://ops:mongo-secret@mongo.internal:27017/', KAFKA_BROKERS: 'k1.internal:9092,k2.internal:9092' });
    expect(envOf(container(existing, 'ingest-1'))).toMatchObject({ CLICKHOUSE_URL: 'https://ch.internal:8443', CLICKHOUSE_PASSWORD: 'ch-secret' });
    expect(existing.outputs.mongoUrl).toEqual({ value: 'mongodb://ops@mongo.internal:27017/', secret: false });
    for (const resource of existing.resources) {
      for (const secret of ['mongo-secret', 'ch-secret']) expect(plaintextUses(resource.inputs, secret, resource.urn)).toEqual([]);
    }
  }, 60_000);
});

describe('secrets', () => {
  /** Every secret value of the run: generated passwords and keys, and the Telegram settings. */
  function secretsOf(of: ProgramRun): string[] {
    const generated = of.resources.flatMap((r) => {
      if (r.type === 'random:index/randomPassword:RandomPassword') return [envOfSecret(of, r.name)];
      return [];
    });
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

  it('never sets a default password: the ClickHouse default user is replaced and Grafana gets a generated admin password', () => {
    const clickhouse = envOf(container(run, 'clickhouse'));
    expect(clickhouse.CLICKHOUSE_USER).toBe('piccha');
    expect(find(run, 'random:index/randomPassword:RandomPassword', 'clickhouse-password').inputs.length).toBeGreaterThanOrEqual(32);
    const grafana = envOf(container(run, 'grafana'));
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).not.toBe('admin');
    expect(grafana.GF_USERS_ALLOW_SIGN_UP).toBe('false');
  });
});

describe('volumes', () => {
  const volumes = () => run.resources.filter((r) => r.type === 'docker:index/volume:Volume');

  it('gives MongoDB, Kafka, ClickHouse and Grafana a named volume each', () => {
    expect(volumes().map((v) => v.inputs.name).sort()).toEqual(['piccha-dev-clickhouse', 'piccha-dev-grafana', 'piccha-dev-kafka', 'piccha-dev-mongodb']);
  });

  it('lets pulumi destroy remove the volumes by default', () => {
    for (const volume of volumes()) expect(volume.retainOnDelete, volume.urn).toBe(false);
  });

  it('keeps the volumes on destroy when retainVolumes is set', async () => {
    const kept = await runProgram({ config: { ...TELEGRAM, retainVolumes: 'true' } });
    const keptVolumes = kept.resources.filter((r) => r.type === 'docker:index/volume:Volume');
    expect(keptVolumes).toHaveLength(4);
    for (const volume of keptVolumes) expect(volume.retainOnDelete, volume.urn).toBe(true);
    for (const other of kept.resources.filter((r) => r.type !== 'docker:index/volume:Volume')) expect(other.retainOnDelete, other.urn).toBe(false);
  }, 60_000);
});

describe('Grafana provisioning', () => {
  it('uploads exactly the files dashboards/build.ts builds, under the provisioning root', () => {
    const expected = buildProvisioning({ ...DEFAULT_BUILD_SETTINGS, clickhouse: { host: 'clickhouse', port: 8123, protocol: 'http', secure: false, database: 'piccha', user: 'piccha', passwordFrom: '${CLICKHOUSE_PASSWORD}' } });
    const uploads = container(run, 'grafana').inputs.uploads as { file: string; content: string }[];
    expect(uploads.map((u) => ({ path: u.file.replace('/etc/grafana/provisioning/', ''), content: u.content })).sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      expected.map((f) => ({ path: f.path, content: f.content })).sort((a, b) => a.path.localeCompare(b.path)),
    );
  });

  it('references the ClickHouse password by environment variable, and gives Grafana that variable as a secret', () => {
    const uploads = container(run, 'grafana').inputs.uploads as { content: string }[];
    const password = envOf(container(run, 'clickhouse')).CLICKHOUSE_PASSWORD ?? '';
    expect(uploads.some((u) => u.content.includes('${CLICKHOUSE_PASSWORD}'))).toBe(true);
    expect(uploads.some((u) => u.content.includes(password))).toBe(false);
    expect(envOf(container(run, 'grafana')).CLICKHOUSE_PASSWORD).toBe(password);
    expect(container(run, 'grafana').inputs.envs).toHaveProperty('$secret');
  });

  it("derives each dashboard's URL from the uid and title in its provisioned JSON", () => {
    const files = [
      { path: 'dashboards/piccha.yaml', content: 'apiVersion: 1\n' },
      { path: 'dashboards/sales/sales.json', content: JSON.stringify({ uid: 'sales', title: 'Продажи' }) },
      { path: 'datasources/clickhouse.yaml', content: 'apiVersion: 1\n' },
    ];
    expect(dashboardUrls('http://127.0.0.1:3000', files)).toEqual({ Продажи: 'http://127.0.0.1:3000/d/sales' });
    expect(() => dashboardUrls('http://127.0.0.1:3000', [{ path: 'dashboards/x.json', content: '{}' }])).toThrow(/dashboards\/x.json has no uid or title/);
  });

  it('gives Grafana the Telegram settings from secret configuration', () => {
    expect(envOf(container(run, 'grafana'))).toMatchObject({ TELEGRAM_BOT_TOKEN: TELEGRAM.telegramBotToken, TELEGRAM_CHAT_ID: TELEGRAM.telegramChatId });
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
