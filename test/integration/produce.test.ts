import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { ENTITIES, type Document, type Entity } from '../../pipeline/entities/entities.js';
import { getPath } from '../../pipeline/entities/paths.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import type { DefectEntry } from '../../pipeline/generate/manifest.js';
import { MANIFEST_DEFECTS_COLLECTION, mongoSink, runIdOf } from '../../pipeline/generate/sinks.js';
import { createKafka } from '../../pipeline/kafka/client.js';
import { MongoDocumentWriter } from '../../pipeline/load/mongo-writer.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { decrypt } from '../../pipeline/pii/cipher.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../pipeline/pii/keys.js';
import { normalizeEmail, normalizePhone } from '../../pipeline/pii/normalize.js';
import { revealAll } from '../../pipeline/pii/protect.js';
import { CHECKPOINTS_COLLECTION, type Checkpoint } from '../../pipeline/produce/checkpoints.js';
import type { DeadLetter, Envelope } from '../../pipeline/produce/envelope.js';
import { produce, type ProduceOptions } from '../../pipeline/produce/producer.js';
import { topicNames, type TopicNames } from '../../pipeline/produce/topics.js';
import { runCli } from '../helpers/cli.js';
import { readAll, type ReadMessage } from '../helpers/kafka.js';
import { quietLogger, testConfig, testEnv } from '../helpers/services.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const keysEnv = () => {
  const keys = generateKeys();
  return { PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey };
};

interface Setup {
  db: Db;
  topics: TopicNames;
  prefix: string;
  keyring: PiiKeyring;
  env: Record<string, string>;
}

describe('produce: MongoDB → Kafka', () => {
  let connection: MongoConnection;
  let kafka: Kafka;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
  });
  afterAll(async () => {
    await connection.client.close();
  });

  function setup(): Setup {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const env = { ...keysEnv(), PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `produce_${prefix}` };
    return { db: connection.client.db(env.MONGO_DB), topics: topicNames(prefix), prefix, keyring: keyringFrom(env), env };
  }

  function options(s: Setup, overrides: Partial<ProduceOptions> = {}): ProduceOptions {
    return { entities: ENTITIES, topics: s.topics, partitions: 3, batchSize: 200, follow: false, pollMs: 100, lagMs: 300, fromScratch: false, keyring: s.keyring, ...overrides };
  }

  const allTopics = (s: Setup) => [...Object.values(s.topics.entities), s.topics.deadLetter];
  const envelopes = (messages: readonly ReadMessage[], topic: string) => messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value.toString()) as Envelope);

  async function generate(s: Setup, profile: keyof typeof DIRTY_PROFILES, purchases: number) {
    return runGeneration({ seed: 3, now: NOW, days: 90, counts: { stores: 10, products: 10, customers: 10, purchases }, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 } }, mongoSink(s.db));
  }

  async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('sends a snapshot, then new and changed documents while following, in order per key; a restart re-sends nothing', async () => {
    const s = setup();
    await generate(s, 'none', 100);
    const controller = new AbortController();
    const running = produce(s.db, kafka, options(s, { follow: true, signal: controller.signal }), quietLogger);
    const count = async () => (await readAll(kafka, [s.topics.entities.purchases])).length;
    await until(async () => (await count()) === 100, 'the snapshot');

    const stored = await s.db.collection<Document>('purchases').find({}, { projection: { _id: 0, _loaded_at: 0, _content_hash: 0 } }).limit(5).toArray();
    const writer = new MongoDocumentWriter(s.db, 50);
    for (const purchase of stored) await writer.write('purchases', { ...purchase, payment_method: purchase.payment_method === 'card' ? 'cash' : 'card' });
    for (let i = 0; i < 20; i++) await writer.write('purchases', { ...stored[0], source_id: `live-${i}`, purchase_id: `ord-live-${i}` });
    await writer.flush();
    await until(async () => (await count()) === 125, 'the changes');
    controller.abort();
    const summary = await running;
    expect(summary.purchases.sent).toBe(125);

    const messages = await readAll(kafka, allTopics(s));
    const purchases = messages.filter((m) => m.topic === s.topics.entities.purchases);
    for (const changed of stored) {
      const versions = purchases.filter((m) => m.key === changed.purchase_id).map((m) => JSON.parse(m.value.toString()) as Envelope);
      expect(versions.map((v) => v.document.payment_method)).toEqual([changed.payment_method, changed.payment_method === 'card' ? 'cash' : 'card']);
      expect(versions[0]?.loaded_at.localeCompare(versions[1]?.loaded_at ?? '')).toBe(-1);
    }
    const first = purchases[0];
    expect(first?.headers).toEqual({ entity: 'purchases', 'schema-version': '1', 'content-type': 'application/json' });
    expect(JSON.parse(first?.value.toString() ?? '{}')).toMatchObject({ schema_version: 1, entity: 'purchases', op: 'upsert', pii_key_id: s.keyring.active.id });
    for (const entity of ENTITIES) expect(envelopes(messages, s.topics.entities[entity])).toHaveLength(await s.db.collection(entity).countDocuments() + (entity === 'purchases' ? 5 : 0));

    const again = await produce(s.db, kafka, options(s), quietLogger);
    expect(Object.values(again).map((totals) => totals.sent)).toEqual([0, 0, 0, 0]);
    expect(await readAll(kafka, allTopics(s))).toHaveLength(messages.length);
    const replay = await produce(s.db, kafka, options(s, { entities: ['stores'], fromScratch: true }), quietLogger);
    expect(replay.stores.sent).toBe(await s.db.collection('stores').countDocuments());
    await s.db.dropDatabase();
  });

  it('after SIGKILL mid-snapshot, a restart sends every document, at most one batch twice', async () => {
    const s = setup();
    await generate(s, 'none', 20_000);
    const batch = 250;
    const args = [join(projectRoot(), 'pipeline/cli/main.ts'), 'produce', '--entities', 'purchases', '--batch-size', String(batch)];
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot(), env: { ...process.env, ...testEnv(s.env) }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const checkpoints = s.db.collection<Checkpoint>(CHECKPOINTS_COLLECTION);
    await until(async () => ((await checkpoints.findOne({ _id: s.topics.entities.purchases }))?.pass?.position ?? 0) >= 2000, 'the producer to be under way', 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = await checkpoints.findOne({ _id: s.topics.entities.purchases });
    expect(atKill?.pass?.position).toBeLessThan(20_000);

    const rerun = await runCli(['produce', '--entities', 'purchases', '--batch-size', String(batch)], testEnv(s.env));
    expect(rerun.code).toBe(0);
    const messages = await readAll(kafka, [s.topics.entities.purchases]);
    const ids = messages.map((m) => (JSON.parse(m.value.toString()) as Envelope).source_id);
    expect(new Set(ids).size).toBe(20_000);
    expect(ids.length - 20_000).toBeLessThanOrEqual(batch);
    await s.db.dropDatabase();
  }, 180_000);

  it('lets no plaintext email or phone reach Kafka; the key recovers exactly the normalised values', async () => {
    const s = setup();
    const manifest = await generate(s, 'heavy', 600);
    await s.db.collection('purchases').insertOne({ _id: 'typed-wrong' as never, source_id: 'typed-wrong', purchase_id: 'ord-bad-type', total_amount: 'сто рублей', customer: { email: 'wrong.type@piccha.ru', phone: '+79990001122' }, _loaded_at: new Date() });
    const originals = new Map<string, { entity: Entity; document: Document }>();
    for (const entity of ENTITIES) for (const document of await s.db.collection<Document>(entity).find().toArray()) originals.set(`${entity}/${String(document._id)}`, { entity, document });

    await produce(s.db, kafka, options(s), quietLogger);
    const messages = await readAll(kafka, allTopics(s));
    expect(messages.length).toBe(originals.size);

    // The generator's real values, as typed and as normalised; and anything shaped like an email or a +7 phone.
    const secrets = new Set<string>();
    const paths: Record<Entity, string[]> = { stores: ['manager.email', 'manager.phone'], products: [], customers: ['email', 'phone'], purchases: ['customer.email', 'customer.phone'] };
    for (const { entity, document } of originals.values()) {
      for (const path of paths[entity]) {
        const value = getPath(document, path);
        // Values shorter than an address, or a bare domain (masks keep the domain), say nothing about a person.
        if (typeof value !== 'string' || value.trim().length < 5 || value.trim().startsWith('@')) continue;
        secrets.add(value.trim());
        secrets.add(path.endsWith('email') ? normalizeEmail(value).value : normalizePhone(value).value);
      }
    }
    expect(secrets.size).toBeGreaterThan(100);
    for (const message of messages) {
      const bytes = Buffer.concat([Buffer.from(message.key), message.value, Buffer.from(JSON.stringify(message.headers))]).toString('utf8');
      expect(bytes).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
      expect(bytes).not.toMatch(/\+7\d{10}/);
      for (const secret of secrets) if (bytes.includes(secret)) throw new Error(`plaintext ${secret} found in ${message.topic}`);
    }

    const indexByEmail = new Map<string, string>();
    for (const message of messages) {
      const envelope = JSON.parse(message.value.toString()) as Envelope | DeadLetter;
      const original = originals.get(`${envelope.entity}/${envelope.source_id}`);
      expect(original, envelope.source_id).toBeDefined();
      const revealed = revealAll(envelope.document, s.keyring) as Document;
      for (const path of paths[envelope.entity]) {
        const value = getPath(original?.document ?? {}, path);
        const expected = typeof value === 'string' && value !== '' ? (path.endsWith('email') ? normalizeEmail(value).value : normalizePhone(value).value) : value;
        expect(getPath(revealed, path), `${envelope.source_id} ${path}`).toEqual(expected);
        const protectedValue = getPath(envelope.document, path) as { blind_index?: string } | undefined;
        if (path.endsWith('email') && typeof expected === 'string' && protectedValue?.blind_index) {
          const seen = indexByEmail.get(expected);
          if (seen !== undefined) expect(protectedValue.blind_index).toBe(seen);
          indexByEmail.set(expected, protectedValue.blind_index);
        }
      }
    }
    expect(indexByEmail.size).toBeGreaterThan(5);

    const dead = messages.filter((m) => m.topic === s.topics.deadLetter).map((m) => JSON.parse(m.value.toString()) as DeadLetter);
    const missingKeys = await s.db.collection<DefectEntry>(MANIFEST_DEFECTS_COLLECTION).find({ run: runIdOf(manifest), kind: 'missing_key', entity: 'purchases' }).map((entry) => entry.source_id).toArray();
    expect(missingKeys).toHaveLength(manifest.defects.missing_key?.purchases?.count ?? -1);
    expect(missingKeys.length).toBeGreaterThan(0);
    expect(dead.filter((letter) => letter.reason === 'missing business key purchase_id').map((letter) => letter.source_id).sort()).toEqual([...missingKeys].sort());
    expect(dead.find((letter) => letter.source_id === 'typed-wrong')?.reason).toBe('total_amount should be a number, got string');
    await s.db.dropDatabase();
  }, 120_000);

  it('rotates keys: new messages use the new key, old ones still decrypt; a wrong key is a clear error', async () => {
    const s = setup();
    await generate(s, 'none', 20);
    await produce(s.db, kafka, options(s, { entities: ['customers'] }), quietLogger);
    const newKey = generateKeys();
    const rotatedEnv = { ...s.env, PICCHA_PII_KEYS: `${newKey.keyId}:${newKey.key},${s.env.PICCHA_PII_KEYS}` };
    const rotated = keyringFrom(rotatedEnv);
    const writer = new MongoDocumentWriter(s.db);
    await writer.write('customers', { source_id: 'new-customer', customer_id: 'cus-9999', email: 'new.customer@piccha.ru', phone: '8 916 000-11-22', first_name: 'Анна', last_name: 'Иванова' });
    await writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await produce(s.db, kafka, options({ ...s, keyring: rotated }, { entities: ['customers'] }), quietLogger);

    const messages = envelopes(await readAll(kafka, [s.topics.entities.customers]), s.topics.entities.customers);
    expect(messages.filter((m) => m.pii_key_id === s.keyring.active.id)).toHaveLength(10);
    const fresh = messages.find((m) => m.source_id === 'new-customer');
    expect(fresh?.pii_key_id).toBe(newKey.keyId);
    for (const message of messages) expect(typeof (revealAll(message.document, rotated) as Document).email).toBe('string');
    expect(revealAll(fresh?.document, rotated)).toMatchObject({ email: 'new.customer@piccha.ru', phone: '+79160001122' });

    const token = (fresh?.document.email as { ciphertext: string }).ciphertext;
    expect(() => decrypt(token, s.keyring)).toThrow(`key id ${newKey.keyId} is not among PICCHA_PII_KEYS`);
    const wrong = await runCli(['pii', 'decrypt', token], { ...keysEnv(), PICCHA_PII_KEYS: `${newKey.keyId}:${generateKeys().key}` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`piccha: authentication failed under key id ${newKey.keyId}: a wrong key, or a changed value\n`);
    const right = await runCli(['pii', 'decrypt', token], rotatedEnv);
    expect(right.stdout).toBe('new.customer@piccha.ru\n');
    await s.db.dropDatabase();
  });

  it('refuses to start without valid keys, naming the variable and printing no key', async () => {
    const result = await runCli(['produce'], testEnv({ PICCHA_PII_KEYS: 'k1:tooshort', PICCHA_PII_INDEX_KEY: '' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^piccha: invalid PII keys: PICCHA_PII_KEYS entry 1 is not id:key .*; PICCHA_PII_INDEX_KEY is not set/);
    expect(result.stderr).not.toContain('tooshort');
  });

  it('names the service it cannot reach, without credentials, and exits non-zero', async () => {
    const closed = '127.0.0.1:1';
    const noMongo = await runCli(['produce'], testEnv({ ...keysEnv(), MONGO_URL: `mongodb://piccha:s3cret-pw@${closed}/` }));
    expect(noMongo.code).toBe(1);
    expect(noMongo.stderr).toMatch(/^piccha: cannot reach MongoDB at 127\.0\.0\.1:1 \(MONGO_URL\): /);
    expect(noMongo.stderr).not.toContain('s3cret-pw');
    const noKafka = await runCli(['produce'], testEnv({ ...keysEnv(), KAFKA_BROKERS: closed }));
    expect(noKafka.code).toBe(1);
    expect(noKafka.stderr).toMatch(/^piccha: cannot reach Kafka or create its topics \(KAFKA_BROKERS\): /);
  }, 120_000);
});
