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
import { appendToOutbox, OUTBOX_STATE_COLLECTION, segmentName } from '../../pipeline/outbox/outbox.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { decrypt } from '../../pipeline/pii/cipher.js';
import { generateKeys, keyringFrom, type PiiKeyring } from '../../pipeline/pii/keys.js';
import { normalizeEmail, normalizePhone } from '../../pipeline/pii/normalize.js';
import { revealDocument, revealMessage } from '../../pipeline/pii/protect.js';
import { CHECKPOINTS_COLLECTION, type Checkpoint } from '../../pipeline/produce/checkpoints.js';
import type { DeadLetter, Envelope } from '../../pipeline/produce/envelope.js';
import { FencedSender, ProducerFenced } from '../../pipeline/produce/fenced-sender.js';
import { produce, PRODUCER_CONFIG, SEND_SETTINGS, transactionalIdOf, type ProduceOptions } from '../../pipeline/produce/producer.js';
import { CompressionTypes } from 'kafkajs';
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
    return { entities: ENTITIES, topics: s.topics, partitions: 3, batchSize: 200, follow: false, pollMs: 50, fromScratch: false, keyring: s.keyring, ...overrides };
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

  it('a producer fenced by Kafka while it still holds its lease sends again in a new transaction, which fences the intruder in turn: nothing is lost', async () => {
    const s = setup();
    await generate(s, 'none', 100);
    const controller = new AbortController();
    const running = produce(s.db, kafka, options(s, { follow: true, signal: controller.signal }), quietLogger);
    const topic = s.topics.entities.purchases;
    const sources = async () => new Set((await readAll(kafka, [topic])).map((m) => (JSON.parse(m.value.toString()) as Envelope).source_id));
    await until(async () => (await sources()).size === 100, 'the snapshot');
    // Another sender of the topic starts (as a producer for another MongoDB database would): the
    // running producer's next send is fenced, though its lease is still its own.
    const intruder = new FencedSender(kafka, { transactionalId: transactionalIdOf(topic), config: PRODUCER_CONFIG, sendSettings: SEND_SETTINGS });
    try {
      await intruder.start();
      const [template] = await s.db.collection<Document>('purchases').find({}, { projection: { _id: 0, _loaded_at: 0, _content_hash: 0 } }).limit(1).toArray();
      const writer = new MongoDocumentWriter(s.db, { batchSize: 50 });
      for (let i = 0; i < 20; i++) await writer.write('purchases', { ...template, source_id: `after-fencing-${i}`, purchase_id: `ord-after-fencing-${i}` });
      await writer.close();
      await until(async () => (await sources()).size === 120, 'the purchases written after the fencing');
      await expect(intruder.send([{ topic, messages: [{ key: 'k', value: 'from the intruder' }] }])).rejects.toBeInstanceOf(ProducerFenced);
    } finally {
      await intruder.close();
    }
    controller.abort();
    const summary = await running;
    expect(summary.purchases.sent).toBeGreaterThanOrEqual(120);
    const read = await sources();
    expect(read.size).toBe(120);
    for (let i = 0; i < 20; i++) expect(read.has(`after-fencing-${i}`)).toBe(true);
  });

  it('sends a snapshot, then new and changed documents while following, in order per key; a restart re-sends nothing', async () => {
    const s = setup();
    await generate(s, 'none', 100);
    const controller = new AbortController();
    const running = produce(s.db, kafka, options(s, { follow: true, signal: controller.signal }), quietLogger);
    // Versions are counted distinct while waiting, so that a copy sent twice fails the count of
    // sends below rather than the wait.
    const versionOf = (m: ReadMessage) => {
      const envelope = JSON.parse(m.value.toString()) as Envelope;
      return `${envelope.source_id}|${envelope.loaded_at}|${envelope.content_hash}`;
    };
    const count = async () => new Set((await readAll(kafka, [s.topics.entities.purchases])).map(versionOf)).size;
    await until(async () => (await count()) === 100, 'the snapshot');

    const stored = await s.db.collection<Document>('purchases').find({}, { projection: { _id: 0, _loaded_at: 0, _content_hash: 0 } }).limit(5).toArray();
    const writer = new MongoDocumentWriter(s.db, { batchSize: 50 });
    for (const purchase of stored) await writer.write('purchases', { ...purchase, payment_method: purchase.payment_method === 'card' ? 'cash' : 'card' });
    for (let i = 0; i < 20; i++) await writer.write('purchases', { ...stored[0], source_id: `live-${i}`, purchase_id: `ord-live-${i}` });
    await writer.close();
    await until(async () => (await count()) === 125, 'the changes');
    controller.abort();
    const summary = await running;
    expect(summary.purchases.sent).toBe(125);

    const messages = await readAll(kafka, allTopics(s));
    const purchases = messages.filter((m) => m.topic === s.topics.entities.purchases);
    for (const changed of stored) {
      const versions = purchases.filter((m) => m.key === changed.purchase_id).map((m) => JSON.parse(m.value.toString()) as Envelope)
        .filter((version, i, all) => i === 0 || version.loaded_at !== all[i - 1]?.loaded_at);
      expect(versions.map((v) => v.document.payment_method)).toEqual([changed.payment_method, changed.payment_method === 'card' ? 'cash' : 'card']);
      expect(versions[0]?.loaded_at.localeCompare(versions[1]?.loaded_at ?? '')).toBe(-1);
    }
    // A document sent once, so that its stored version is the one in the message.
    const first = purchases.find((m) => !stored.some((changed) => changed.purchase_id === m.key));
    expect(first?.headers).toEqual({ entity: 'purchases', 'schema-version': '1', 'content-type': 'application/json' });
    const envelope = JSON.parse(first?.value.toString() ?? '{}') as Envelope;
    const source = await s.db.collection<Document>('purchases').findOne({ _id: envelope.source_id as never });
    expect(Object.keys(envelope).sort()).toEqual(['content_hash', 'document', 'emitted_at', 'entity', 'loaded_at', 'op', 'pii_key_id', 'schema_version', 'source_id']);
    expect(envelope).toEqual({
      schema_version: 1, entity: 'purchases', source_id: source?._id, op: 'upsert', pii_key_id: s.keyring.active.id,
      emitted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown, loaded_at: (source?._loaded_at as Date).toISOString(), content_hash: source?._content_hash,
      document: expect.objectContaining({ source_id: source?._id, purchase_id: source?.purchase_id, total_amount: source?.total_amount }) as unknown,
    });
    expect(first?.key).toBe(source?.purchase_id);
    for (const entity of ENTITIES) {
      const keyField = { stores: 'store_id', products: 'id', customers: 'customer_id', purchases: 'purchase_id' }[entity];
      for (const message of messages.filter((m) => m.topic === s.topics.entities[entity])) expect(message.key).toBe((JSON.parse(message.value.toString()) as Envelope).document[keyField]);
    }
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
    await until(async () => ((await checkpoints.findOne({ _id: s.topics.entities.purchases }))?.position ?? 0) >= 2000, 'the producer to be under way', 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = await checkpoints.findOne({ _id: s.topics.entities.purchases });
    expect(atKill?.done).toBe(false);
    expect(atKill?.position).toBeLessThan(20_000);

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
    const writer = new MongoDocumentWriter(s.db);
    await writer.write('purchases', { source_id: 'typed-wrong', purchase_id: 'ord-bad-type', total_amount: 'сто рублей', customer: { email: 'wrong.type@piccha.ru', phone: '+79990001122' } });
    await writer.close();
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
      const revealed = (revealMessage(envelope, s.keyring) as { document: Document }).document;
      for (const path of paths[envelope.entity]) {
        const value = getPath(original?.document ?? {}, path);
        const expected = typeof value === 'string' && value !== '' ? (path.endsWith('email') ? normalizeEmail(value).value : normalizePhone(value).value) : value;
        expect(getPath(revealed, path), `${envelope.source_id} ${path}`).toEqual(expected);
        const protectedValue = getPath(envelope.document ?? {}, path) as { blind_index?: string } | undefined;
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
    await writer.close();
    await produce(s.db, kafka, options({ ...s, keyring: rotated }, { entities: ['customers'] }), quietLogger);

    const messages = envelopes(await readAll(kafka, [s.topics.entities.customers]), s.topics.entities.customers);
    expect(messages.filter((m) => m.pii_key_id === s.keyring.active.id)).toHaveLength(10);
    const fresh = messages.find((m) => m.source_id === 'new-customer');
    expect(fresh?.pii_key_id).toBe(newKey.keyId);
    for (const message of messages) expect(typeof (revealDocument('customers', message.source_id, message.document, rotated) as Document).email).toBe('string');
    expect(revealDocument('customers', 'new-customer', fresh?.document, rotated)).toMatchObject({ email: 'new.customer@piccha.ru', phone: '+79160001122' });

    const token = (fresh?.document.email as { ciphertext: string }).ciphertext;
    const place = { entity: 'customers', sourceId: 'new-customer', path: 'email' };
    expect(() => decrypt(token, s.keyring, place)).toThrow(`key id ${newKey.keyId} is not among PICCHA_PII_KEYS`);
    const at = ['--entity', 'customers', '--source-id', 'new-customer', '--field', 'email'];
    const wrong = await runCli(['pii', 'decrypt', token, ...at], { ...keysEnv(), PICCHA_PII_KEYS: `${newKey.keyId}:${generateKeys().key}` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^piccha: authentication failed under key id ${newKey.keyId} for customers new-customer field email: `));
    const right = await runCli(['pii', 'decrypt', token, ...at], rotatedEnv);
    expect(right.stdout).toBe('new.customer@piccha.ru\n');
    const moved = await runCli(['pii', 'decrypt', token, '--entity', 'customers', '--source-id', 'new-customer', '--field', 'phone'], rotatedEnv);
    expect(moved.code).toBe(1);
    const truncated = await runCli(['pii', 'decrypt', token.slice(0, token.lastIndexOf('.')), ...at], rotatedEnv);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toBe('piccha: a malformed protected value: expected pii2.<email or phone>.<key id>.<nonce>.<ciphertext and tag>, the parts in URL-safe base64\n');
    const message = await runCli(['pii', 'decrypt', JSON.stringify(fresh)], rotatedEnv);
    expect(JSON.parse(message.stdout)).toMatchObject({ source_id: 'new-customer', document: { email: 'new.customer@piccha.ru', phone: '+79160001122' } });
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

  /** The last message of each source id on the topic, and how many messages each version got. */
  function versionsIn(messages: readonly ReadMessage[], topic: string) {
    const last = new Map<string, string>();
    const copies = new Map<string, number>();
    for (const message of messages.filter((m) => m.topic === topic).sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))) {
      const envelope = JSON.parse(message.value.toString()) as Envelope;
      last.set(envelope.source_id, envelope.content_hash);
      const version = `${envelope.source_id}/${envelope.content_hash}`;
      copies.set(version, (copies.get(version) ?? 0) + 1);
    }
    return { last, copies };
  }

  async function storedHashes(db: Db, entity: Entity): Promise<Map<string, string>> {
    const rows = await db.collection<Document>(entity).find({}, { projection: { _content_hash: 1 } }).toArray();
    return new Map(rows.map((row) => [String(row._id), String(row._content_hash)]));
  }

  /**
   * The database as `appendToOutbox` sees it, held still at one point of the append until released:
   * at `insert`, the segment's collection exists but the entries are not in it yet (FerretDB creates
   * the collection, then inserts in a transaction of its own); at `check`, the entries are in and
   * the writer has not yet checked that their segment is still open.
   */
  function pausedAppend(db: Db, at: 'insert' | 'check') {
    let reach: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted = false;
    let paused = false;
    const pauseOnce = async () => {
      if (paused) return;
      paused = true;
      reach();
      await released;
    };
    const isSegment = (name: string) => name === segmentName('purchases', Number(name.slice(name.lastIndexOf('_') + 1)));
    const overriding = <C extends object>(collection: C, overrides: object): C => Object.assign(Object.create(collection) as C, overrides);
    const database = new Proxy(db, {
      get(target, property) {
        if (property !== 'collection') {
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
        return (name: string) => {
          const collection = target.collection(name);
          if (isSegment(name)) {
            return overriding(collection, {
              insertMany: async (...args: Parameters<typeof collection.insertMany>) => {
                if (at === 'insert' && !paused) {
                  await target.createCollection(name).catch(() => undefined);
                  await pauseOnce();
                }
                const result = await collection.insertMany(...args);
                inserted = true;
                return result;
              },
            });
          }
          if (at === 'check' && name === OUTBOX_STATE_COLLECTION) {
            return overriding(collection, {
              findOne: async (...args: Parameters<typeof collection.findOne>) => {
                if (inserted) await pauseOnce();
                return collection.findOne(...args);
              },
            });
          }
          return collection;
        };
      },
    });
    return { db: database, reached, release };
  }

  it('sends a version once when the producer seals its outbox segment while the append is in flight, whichever way the race goes', async () => {
    const s = setup();
    await generate(s, 'none', 20);
    const purchasesOnly = options(s, { entities: ['purchases'] });
    let sent = (await produce(s.db, kafka, purchasesOnly, quietLogger)).purchases.sent;
    const base = await s.db.collection<Document>('purchases').findOne({}, { projection: { _id: 0, _loaded_at: 0, _content_hash: 0 } });
    const live = (name: string, count: number) => Array.from({ length: count }, (_, i) => ({ ...base, source_id: `${name}-${i}`, purchase_id: `ord-${name}-${i}` }));
    const write = (db: Db, documents: readonly Document[]) => {
      const writer = new MongoDocumentWriter(db);
      return (async () => {
        for (const document of documents) await writer.write('purchases', document);
        await writer.close();
      })();
    };

    // The append lands after the producer sealed, read (empty) and dropped its segment, and after
    // a later segment was drained too: the insert recreates the segment, below the checkpoint.
    const late = pausedAppend(s.db, 'insert');
    const lateWrite = write(late.db, live('late', 15));
    await late.reached;
    sent += (await produce(s.db, kafka, purchasesOnly, quietLogger)).purchases.sent;
    await appendToOutbox(s.db, 'purchases', live('between', 5));
    sent += (await produce(s.db, kafka, purchasesOnly, quietLogger)).purchases.sent;
    late.release();
    await lateWrite;

    // The append is in, and the producer seals, reads and sends it before the writer checks the segment.
    const read = pausedAppend(s.db, 'check');
    const readWrite = write(read.db, live('read', 10));
    await read.reached;
    sent += (await produce(s.db, kafka, purchasesOnly, quietLogger)).purchases.sent;
    read.release();
    await readWrite;
    sent += (await produce(s.db, kafka, purchasesOnly, quietLogger)).purchases.sent;

    const ids = envelopes(await readAll(kafka, [s.topics.entities.purchases]), s.topics.entities.purchases).map((envelope) => envelope.source_id);
    const expected = [...(await s.db.collection<Document>('purchases').find({}, { projection: { _id: 1 } }).toArray()).map((document) => String(document._id))];
    expect(expected).toHaveLength(20 + 15 + 10);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(ids.sort()).toEqual([...expected, ...live('between', 5).map((document) => String(document.source_id))].sort());
    expect(sent).toBe(20 + 15 + 5 + 10);
    await s.db.dropDatabase();
  });

  it('loses nothing whatever the writers\' clocks and timing: a writer minutes behind, writers racing a following producer', async () => {
    const s = setup();
    await generate(s, 'none', 50);
    await produce(s.db, kafka, options(s, { entities: ['purchases'] }), quietLogger);
    const base = await s.db.collection<Document>('purchases').find({}, { projection: { _id: 0, _loaded_at: 0, _content_hash: 0 } }).limit(1).toArray();

    // A writer whose clock is ten minutes behind: its stamps are older than everything sent so far.
    const behind = new MongoDocumentWriter(s.db, { clock: () => new Date(Date.now() - 10 * 60_000) });
    for (let i = 0; i < 30; i++) await behind.write('purchases', { ...base[0], source_id: `late-${i}`, purchase_id: `ord-late-${i}` });
    await behind.close();

    // A producer following while writers append in small batches, so that segments are sealed mid-write.
    const controller = new AbortController();
    const running = produce(s.db, kafka, options(s, { entities: ['purchases'], follow: true, pollMs: 10, batchSize: 37, signal: controller.signal }), quietLogger);
    const written = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const writer = new MongoDocumentWriter(s.db, { batchSize: 7 });
      for (let i = 0; i < 60; i++) {
        const document = { ...base[0], source_id: `race-${i}`, purchase_id: `ord-race-${i}`, payment_method: `round-${round}` };
        await writer.write('purchases', document);
      }
      await writer.close();
    }
    for (const [id, hash] of await storedHashes(s.db, 'purchases')) written.add(`${id}/${hash}`);
    await until(async () => {
      const { last } = versionsIn(await readAll(kafka, [s.topics.entities.purchases]), s.topics.entities.purchases);
      return [...written].every((version) => last.get(version.split('/')[0] ?? '') === version.split('/')[1]);
    }, 'every latest version', 60_000);
    controller.abort();
    await running;

    const { last, copies } = versionsIn(await readAll(kafka, [s.topics.entities.purchases]), s.topics.entities.purchases);
    const stored = await storedHashes(s.db, 'purchases');
    expect(stored.size).toBe(50 + 30 + 60);
    for (const [id, hash] of stored) expect(last.get(id), id).toBe(hash);
    // Every version any writer wrote reached Kafka, once: a copy a writer appended again after
    // finding its segment sealed under it is not sent twice (pipeline/outbox/outbox.ts).
    expect([...copies.keys()].filter((version) => version.startsWith('race-0/'))).toHaveLength(6);
    expect([...copies.entries()].filter(([, n]) => n > 1)).toEqual([]);
    await s.db.dropDatabase();
  }, 120_000);

  it('after SIGKILL, documents changed before the restart and a plain run: every latest version in Kafka, at most one batch twice', async () => {
    const s = setup();
    await generate(s, 'none', 6000);
    const batch = 200;
    const args = [join(projectRoot(), 'pipeline/cli/main.ts'), 'produce', '--entities', 'purchases', '--batch-size', String(batch)];
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot(), env: { ...process.env, ...testEnv(s.env) }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const checkpoints = s.db.collection<Checkpoint>(CHECKPOINTS_COLLECTION);
    await until(async () => ((await checkpoints.findOne({ _id: s.topics.entities.purchases }))?.position ?? 0) >= 1000, 'the producer to be under way', 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Changes to documents already sent and to ones not sent yet, then new ones, all before the restart.
    const all = await s.db.collection<Document>('purchases').find({}, { projection: { _loaded_at: 0, _content_hash: 0 } }).toArray();
    const writer = new MongoDocumentWriter(s.db, { batchSize: 100 });
    for (const document of [...all.slice(0, 50), ...all.slice(-50)]) {
      const { _id, ...fields } = document;
      await writer.write('purchases', { ...fields, payment_method: `changed-${String(_id)}` });
    }
    for (let i = 0; i < 40; i++) await writer.write('purchases', { ...all[0], _id: undefined, source_id: `after-crash-${i}`, purchase_id: `ord-after-${i}` });
    await writer.close();

    const rerun = await runCli(['produce', '--entities', 'purchases', '--batch-size', String(batch)], testEnv(s.env));
    expect(rerun.stderr).not.toContain('piccha:');
    expect(rerun.code).toBe(0);
    const { last, copies } = versionsIn(await readAll(kafka, [s.topics.entities.purchases]), s.topics.entities.purchases);
    const stored = await storedHashes(s.db, 'purchases');
    expect(stored.size).toBe(6040);
    for (const [id, hash] of stored) expect(last.get(id), id).toBe(hash);
    const resent = [...copies.values()].reduce((sum, n) => sum + (n - 1), 0);
    expect(resent).toBeLessThanOrEqual(batch);
    await s.db.dropDatabase();
  }, 180_000);

  it('runs one producer per topic: a second refuses naming the holder, or waits with --wait and then sends nothing twice', async () => {
    const s = setup();
    await generate(s, 'none', 30);
    const controller = new AbortController();
    // As `demo --follow` runs it: the refusal must name the demo, not a `piccha produce` nobody started.
    const first = produce(s.db, kafka, options(s, { follow: true, signal: controller.signal, command: 'piccha demo --follow' }), quietLogger);
    await until(async () => (await readAll(kafka, [s.topics.entities.purchases])).length === 30, 'the first producer');
    const second = await runCli(['produce'], testEnv(s.env));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^piccha: produce ${s.topics.entities.stores.replaceAll('.', '\\.')} is held by \`piccha demo --follow\` \\(pid ${process.pid} on [^)]+\\); stop it first, or wait with --wait\\n$`));
    const waiting = runCli(['produce', '--wait'], testEnv(s.env));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    controller.abort();
    await first;
    const waited = await waiting;
    expect(waited.code).toBe(0);
    const messages = await readAll(kafka, allTopics(s));
    const sources = messages.map((m) => `${m.topic}/${(JSON.parse(m.value.toString()) as Envelope).source_id}`);
    expect(new Set(sources).size).toBe(sources.length);
    expect(sources).toHaveLength(10 + 10 + 10 + 30);
    await s.db.dropDatabase();
  }, 120_000);

  it('protects personal data in malformed shapes on every topic, dead letters included, and counts the dead letters', async () => {
    const s = setup();
    const writer = new MongoDocumentWriter(s.db);
    const odd: Document[] = [
      { source_id: 'p-string', purchase_id: 'ord-s', customer: 'leak.string@evil.ru', total_amount: 1 },
      { source_id: 'p-array', purchase_id: 'ord-a', customer: ['leak.array@evil.ru', '+79990001122'], total_amount: 1 },
      { source_id: 'p-nokey', customer: { email: 'leak.nokey@evil.ru', phone: '8 (999) 000-11-33' }, total_amount: 1 },
      { source_id: 'p-note', purchase_id: 'ord-n', note: 'звоните 8 999 000 11 44 или leak.note@evil.ru', customer: { email: 'ok@piccha.ru' }, total_amount: 2 },
    ];
    for (const document of odd) await writer.write('purchases', document);
    await writer.write('stores', { source_id: 's-string', store_id: 'store-x', manager: 'Пётр, leak.manager@evil.ru' });
    await writer.close();
    const summary = await produce(s.db, kafka, options(s), quietLogger);
    expect(summary.purchases).toEqual({ sent: 1, deadLettered: 3, passes: 1 });
    expect(summary.stores).toEqual({ sent: 0, deadLettered: 1, passes: 1 });
    const messages = await readAll(kafka, allTopics(s));
    expect(messages.filter((m) => m.topic === s.topics.deadLetter)).toHaveLength(4);
    for (const message of messages) {
      const text = Buffer.concat([Buffer.from(message.key), message.value]).toString('utf8');
      // Masks keep an email's domain by design; the local part and the digits must not be there.
      expect(text, message.topic).not.toMatch(/leak[.\w]*@|ok@|999\D?000|\+7\d{10}/);
    }
    const letters = messages.filter((m) => m.topic === s.topics.deadLetter).map((m) => JSON.parse(m.value.toString()) as DeadLetter);
    expect(Object.fromEntries(letters.map((letter) => [letter.source_id, letter.reason]))).toEqual({
      'p-string': 'customer should be an object, got string',
      'p-array': 'customer should be an object, got array',
      'p-nokey': 'missing business key purchase_id',
      's-string': 'manager should be an object, got string',
    });
    const array = letters.find((letter) => letter.source_id === 'p-array');
    expect((revealMessage(array, s.keyring) as DeadLetter).document?.customer).toEqual(['leak.array@evil.ru', '+79990001122']);
    await s.db.dropDatabase();
  });

  it('bounds its numeric flags with one line each', async () => {
    for (const [flag, value, bound] of [['--batch-size', '0', '1 to 10000'], ['--batch-size', '99999999', '1 to 10000'], ['--poll-ms', '3000000000', '10 to 60000'], ['--poll-ms', '1e3', '10 to 60000']] as const) {
      const result = await runCli(['produce', flag, value], testEnv(keysEnv()));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`piccha: ${flag} takes a whole number from ${bound}, got ${JSON.stringify(value)}\n`);
    }
    const lag = await runCli(['produce', '--lag-ms', '3000000000'], testEnv(keysEnv()));
    expect(lag.code).not.toBe(0);
  });

  it('delivers idempotently, acknowledged by all in-sync replicas, gzip-compressed, one request in flight', () => {
    expect(PRODUCER_CONFIG).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
    expect(SEND_SETTINGS).toEqual({ acks: -1, compression: CompressionTypes.GZIP });
  });
});
