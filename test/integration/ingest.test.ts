import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { ENTITIES, type Document } from '../../pipeline/entities/entities.js';
import { getPath } from '../../pipeline/entities/paths.js';
import { DEFAULT_COUNTS } from '../../pipeline/generate/generator.js';
import { PLAINTEXT_REMOVED } from '../../pipeline/ingest/raw-tables.js';
import { ingest } from '../../pipeline/ingest/ingest.js';
import { ENTITY_TABLES, INGEST_TABLES, PURCHASE_ITEMS, REJECTED_TABLE } from '../../pipeline/ingest/raw-tables.js';
import { createKafka } from '../../pipeline/kafka/client.js';
import { FencedSender } from '../../pipeline/produce/fenced-sender.js';
import { PRODUCER_CONFIG, SEND_SETTINGS, transactionalIdOf } from '../../pipeline/produce/producer.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { blindIndex } from '../../pipeline/pii/cipher.js';
import { keyringFrom } from '../../pipeline/pii/keys.js';
import { normalizeEmail, normalizePhone } from '../../pipeline/pii/normalize.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { readAll } from '../helpers/kafka.js';
import { generateLoadProduce, newFlow, totalKopecks, type Flow } from '../helpers/pipeline-flow.js';
import { quietLogger, testConfig, testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** One embedded data directory for the file (one per process); each test has its own topics, so its own rows. */
const state = makeTempDir('ingest');
const dataPath = join(state.path, 'clickhouse');

/** Opens the engine for a look and closes it, so that the CLI (another process) can open it next. */
async function withClickHouse<T>(use: (clickhouse: ClickHouse) => Promise<T>): Promise<T> {
  const clickhouse = new EmbeddedClickHouse(dataPath);
  try {
    return await use(clickhouse);
  } finally {
    await clickhouse.close();
  }
}

const cli = (flow: Flow, args: string[], extra: Record<string, string> = {}) => runCli(args, testEnv({ ...flow.env, CLICKHOUSE_DATA_PATH: dataPath, ...extra }));

/** (topic, partition, offset) held more than once by a table, among the flow's topics: must be none. */
async function duplicates(clickhouse: ClickHouse, table: string, prefix: string): Promise<number> {
  const key = table === PURCHASE_ITEMS.table ? 'kafka_topic, kafka_partition, kafka_offset, item_index' : 'kafka_topic, kafka_partition, kafka_offset';
  const rows = await clickhouse.query(`SELECT ${key} FROM ${table} WHERE startsWith(kafka_topic, {prefix:String}) GROUP BY ${key} HAVING count() > 1`, { prefix: `${prefix}.` });
  return rows.length;
}

/** What the flow's purchases topic holds in RAW: rows, distinct offsets, revenue in kopecks, items. */
async function purchaseTotals(clickhouse: ClickHouse, flow: Flow): Promise<{ rows: number; offsets: number; kopecks: number; items: number }> {
  const [row] = await clickhouse.query<{ rows: string; offsets: string; kopecks: string; items: string }>(
    `SELECT count() AS rows, uniqExact(kafka_partition, kafka_offset) AS offsets, toString(sum(total_amount) * 100) AS kopecks,
            (SELECT count() FROM piccha_raw.purchase_items WHERE kafka_topic = {topic:String}) AS items
     FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}`,
    { topic: flow.topics.entities.purchases },
  );
  return { rows: Number(row?.rows), offsets: Number(row?.offsets), kopecks: Number(row?.kopecks), items: Number(row?.items) };
}

const itemCount = (purchases: readonly Document[]) => purchases.reduce((sum, purchase) => sum + (purchase.items as unknown[]).length, 0);

describe('ingest: Kafka → ClickHouse RAW', () => {
  let connection: MongoConnection;
  let kafka: Kafka;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
    const migrated = await runCli(['migrate'], testEnv({ CLICKHOUSE_DATA_PATH: dataPath }));
    expect(migrated.stderr).toBe('');
  });
  afterAll(async () => {
    await connection.client.close();
    state.remove();
  });

  it('seed-sized data, generate → load → produce → ingest: every document and item once, revenue to the kopeck, no plaintext PII', async () => {
    const flow = newFlow(connection.client);
    const { documents } = await generateLoadProduce(flow, kafka, DEFAULT_COUNTS);
    const result = await cli(flow, ['ingest']);
    // stderr carries only progress lines (every 5 s when not on a terminal), never an error.
    expect(result.stderr).not.toMatch(/^(piccha:|\{)/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 rejected into piccha_raw.rejected');

    const items = documents.purchases.flatMap((purchase) => purchase.items as Document[]);
    await withClickHouse(async (clickhouse) => {
      const count = async (table: string) => Number((await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE startsWith(kafka_topic, {prefix:String})`, { prefix: `${flow.prefix}.` }))[0]?.n);
      for (const entity of ENTITIES) expect(await count(ENTITY_TABLES[entity].table)).toBe(DEFAULT_COUNTS[entity]);
      expect(await count(PURCHASE_ITEMS.table)).toBe(items.length);
      expect(await count(REJECTED_TABLE)).toBe(0);

      const [sums] = await clickhouse.query<{ revenue: string; items_revenue: string; quantity: string }>(
        `SELECT (SELECT toString(sum(total_amount)) FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}) AS revenue,
                (SELECT toString(sum(total_price)) FROM piccha_raw.purchase_items WHERE kafka_topic = {topic:String}) AS items_revenue,
                (SELECT toString(sum(quantity)) FROM piccha_raw.purchase_items WHERE kafka_topic = {topic:String}) AS quantity`,
        { topic: flow.topics.entities.purchases },
      );
      const kopecks = totalKopecks(documents.purchases);
      expect(sums?.revenue).toBe((kopecks / 100).toFixed(2).replace(/\.?0+$/, ''));
      expect(sums?.items_revenue).toBe(sums?.revenue);
      expect(Number(sums?.quantity)).toBe(items.reduce((sum, item) => sum + (item.quantity as number), 0));

      // The purchase as generated and as RAW holds it, field by field.
      const source = documents.purchases[17] as Document;
      const [row] = await clickhouse.query<Record<string, unknown>>('SELECT * FROM piccha_raw.purchases WHERE kafka_topic = {topic:String} AND purchase_id = {id:String}', { topic: flow.topics.entities.purchases, id: source.purchase_id as string });
      expect(row).toMatchObject({
        source_id: source.source_id,
        kafka_key: source.purchase_id,
        op: 'upsert',
        customer_id: getPath(source, 'customer.customer_id'),
        store_id: getPath(source, 'store.store_id'),
        store_location_latitude: getPath(source, 'store.location.coordinates.latitude'),
        item_count: (source.items as unknown[]).length,
        total_amount: source.total_amount,
        is_delivery: source.is_delivery,
        customer_email_valid: true,
        parse_errors: [],
      });
      expect(Date.parse(`${String(row?.purchase_datetime)}+03:00`.replace(' ', 'T'))).toBe(Date.parse(source.purchase_datetime as string));
      expect(row?.customer_email_masked).toMatch(/^\S\*\*\*@/);
      expect(row?.customer_email_blind_index).toBe(blindIndex('email', normalizeEmail(getPath(source, 'customer.email') as string).value, keyringFrom(flow.env)));

      // No plaintext email or phone in any column of any RAW table.
      const plaintexts = new Set<string>();
      for (const entity of ENTITIES) {
        for (const document of documents[entity]) {
          for (const path of ['email', 'phone', 'manager.email', 'manager.phone', 'customer.email', 'customer.phone']) {
            const value = getPath(document, path);
            if (typeof value !== 'string') continue;
            plaintexts.add(path.endsWith('email') ? normalizeEmail(value).value : normalizePhone(value).value.slice(2));
          }
        }
      }
      expect(plaintexts.size).toBeGreaterThan(80);
      for (const table of INGEST_TABLES) {
        const text = (await clickhouse.query(`SELECT * FROM ${table} WHERE startsWith(kafka_topic, {prefix:String})`, { prefix: `${flow.prefix}.` })).map((r) => JSON.stringify(r)).join('\n');
        for (const plaintext of plaintexts) expect(text.includes(plaintext), `${table} holds ${plaintext}`).toBe(false);
      }
    });

    // An operator with the keys reveals a RAW row: the normalised email and phone of the source.
    const customer = documents.customers[3] as Document;
    const located = await withClickHouse((clickhouse) => clickhouse.query<{ kafka_partition: number; kafka_offset: string }>('SELECT kafka_partition, kafka_offset FROM piccha_raw.customers WHERE kafka_topic = {topic:String} AND customer_id = {id:String}', { topic: flow.topics.entities.customers, id: customer.customer_id as string }));
    const revealed = await cli(flow, ['pii', 'decrypt', '--row', `piccha_raw.customers:${located[0]?.kafka_partition}:${located[0]?.kafka_offset}`]);
    expect(revealed.stderr).toBe('');
    expect(JSON.parse(revealed.stdout)).toMatchObject({ customer_id: customer.customer_id, email: normalizeEmail(customer.email as string).value, phone: normalizePhone(customer.phone as string).value });
  });

  it('SIGKILL before an insert and after the insert before the commit, at several flushes: after each restart every offset is in RAW exactly once', async () => {
    const flow = newFlow(connection.client);
    const { documents } = await generateLoadProduce(flow, kafka, { stores: 5, products: 10, customers: 5, purchases: 3000 }, { produceBatch: 100 });
    const expected = { rows: 3000, offsets: 3000, kopecks: totalKopecks(documents.purchases), items: itemCount(documents.purchases) };
    const seen: number[] = [];
    for (const fault of ['before-insert:2', 'after-insert:3', 'after-insert:4']) {
      const killed = await cli(flow, ['ingest', '--max-batch-rows', '100'], { PICCHA_INGEST_FAULT: fault });
      expect(killed.code, `${fault}: ${killed.stderr}`).toBeNull();
      const now = await withClickHouse(async (clickhouse) => {
        for (const table of INGEST_TABLES) expect(await duplicates(clickhouse, table, flow.prefix), `${table} after ${fault}`).toBe(0);
        return purchaseTotals(clickhouse, flow);
      });
      expect(now.rows).toBe(now.offsets);
      seen.push(now.rows);
    }
    // Each killed run stopped short of the end, and each restart got further.
    expect(seen[2]).toBeLessThan(3000);
    expect(seen[0]).toBeLessThan(seen[2] ?? 0);

    const finished = await cli(flow, ['ingest', '--max-batch-rows', '100']);
    // stderr carries only progress lines (every 5 s when not on a terminal), never an error.
    expect(finished.stderr).not.toMatch(/^(piccha:|\{)/m);
    expect(finished.code).toBe(0);
    // The last kill came after an insert and before its commit: those messages came again and were skipped.
    const purchasesLine = finished.stdout.split('\n').find((line) => line.startsWith(flow.topics.entities.purchases));
    expect(Number(purchasesLine?.trim().split(/\s+/)[3])).toBeGreaterThan(0);
    await withClickHouse(async (clickhouse) => {
      for (const table of INGEST_TABLES) expect(await duplicates(clickhouse, table, flow.prefix), table).toBe(0);
      expect(await purchaseTotals(clickhouse, flow)).toEqual(expected);
      for (const entity of ['stores', 'products', 'customers'] as const) {
        const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${ENTITY_TABLES[entity].table} WHERE kafka_topic = {topic:String}`, { topic: flow.topics.entities[entity] });
        expect(Number(row?.n)).toBe(documents[entity].length);
      }
    });
  }, 240_000);

  it('SIGKILL between the landing inserts of one flush (one per role): the role landed stays once, the others arrive on the restart', async () => {
    const flow = newFlow(connection.client);
    const { documents } = await generateLoadProduce(flow, kafka, { stores: 5, products: 10, customers: 5, purchases: 200 });
    const counts = (clickhouse: ClickHouse) =>
      Promise.all(
        ENTITIES.map(async (entity) => {
          const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${ENTITY_TABLES[entity].table} WHERE kafka_topic = {topic:String}`, { topic: flow.topics.entities[entity] });
          return Number(row?.n);
        }),
      );
    // One member, flushes larger than the backlog: its first flush holds every topic, hence several roles.
    const killed = await cli(flow, ['ingest', '--consumers', '1'], { PICCHA_INGEST_FAULT: 'between-inserts:1' });
    expect(killed.code, killed.stderr).toBeNull();
    // The first insert is the stores' (the entities' order), and nothing came after it.
    expect(await withClickHouse(counts)).toEqual([documents.stores.length, 0, 0, 0]);

    const finished = await cli(flow, ['ingest']);
    expect(finished.code, finished.stderr).toBe(0);
    const skipped = (topic: string) => Number(finished.stdout.split('\n').find((line) => line.startsWith(topic))?.trim().split(/\s+/)[3]);
    expect(skipped(flow.topics.entities.stores)).toBe(documents.stores.length);
    expect(skipped(flow.topics.entities.purchases)).toBe(0);
    await withClickHouse(async (clickhouse) => {
      for (const table of INGEST_TABLES) expect(await duplicates(clickhouse, table, flow.prefix), table).toBe(0);
      expect(await counts(clickhouse)).toEqual(ENTITIES.map((entity) => documents[entity].length));
      expect(await purchaseTotals(clickhouse, flow)).toEqual({ rows: 200, offsets: 200, kopecks: totalKopecks(documents.purchases), items: itemCount(documents.purchases) });
    });
  }, 240_000);

  it('poison of every kind goes to rejected with its reason, plaintext removed; a dead letter with the producer’s reason; every valid message reaches RAW', async () => {
    const flow = newFlow(connection.client);
    const { documents } = await generateLoadProduce(flow, kafka, { stores: 3, products: 5, customers: 3, purchases: 20 });
    const valid = JSON.parse(JSON.stringify({ schema_version: 1, entity: 'purchases', source_id: 'poison-base', op: 'upsert', emitted_at: '2026-11-25T12:00:00.000Z', loaded_at: '2026-11-25T11:59:59.000Z', pii_key_id: 'k1', document: {} })) as Record<string, unknown>;
    const protectedValue = { ciphertext: 'pii1.email.k1.AAAA.BBBB', blind_index: 'x', masked: 'i***@mail.ru', valid: true };
    const purchase = (changes: Record<string, unknown>) => ({ ...(documents.purchases[0] as Document), customer: { ...((documents.purchases[0] as Document).customer as Document), email: protectedValue, phone: '' }, ...changes });
    const envelope = (id: string, document: unknown, changes: Record<string, unknown> = {}) => JSON.stringify({ ...valid, source_id: id, document, ...changes });
    const poison: { id: string; value: string; kind: string; error: RegExp }[] = [
      { id: 'p-not-json', value: '{"schema_version": 1, "entity": "purch', kind: 'not_json', error: /^not JSON/ },
      { id: 'p-not-object', value: '[1, 2, 3]', kind: 'bad_envelope', error: /should be a JSON object/ },
      { id: 'p-version', value: envelope('p-version', purchase({ purchase_id: 'ord-v' }), { schema_version: 7 }), kind: 'unknown_schema_version', error: /unknown schema_version 7/ },
      { id: 'p-no-entity', value: envelope('p-no-entity', purchase({ purchase_id: 'ord-e' }), { entity: undefined }), kind: 'bad_envelope', error: /no entity/ },
      { id: 'p-other-entity', value: envelope('p-other-entity', purchase({ purchase_id: 'ord-o' }), { entity: 'stores' }), kind: 'bad_envelope', error: /entity "stores" on topic/ },
      { id: 'p-no-source', value: envelope('', purchase({ purchase_id: 'ord-s' })), kind: 'bad_envelope', error: /no source_id/ },
      { id: 'p-items', value: envelope('p-items', purchase({ purchase_id: 'ord-i', items: 'three apples' })), kind: 'wrong_shape', error: /items should be an array/ },
      { id: 'p-customer', value: envelope('p-customer', purchase({ purchase_id: 'ord-c', customer: 42 })), kind: 'wrong_shape', error: /^customer should be an object/ },
      { id: 'p-key', value: envelope('p-key', purchase({ purchase_id: undefined })), kind: 'missing_business_key', error: /no business key purchase_id/ },
      { id: 'p-plaintext', value: envelope('p-plaintext', purchase({ purchase_id: 'ord-pt', customer: { customer_id: 'cus-1', email: 'ivan.petrov@mail.ru' } })), kind: 'plaintext_pii', error: /customer.email arrived unprotected/ },
    ];
    // Kept, not rejected: RAW is as delivered, and these are for the cleaning layer to judge.
    const kept = [
      { id: 'k-bad-date', value: envelope('k-bad-date', purchase({ purchase_id: 'ord-k1', purchase_datetime: 'вчера', total_amount: -12.5 })) },
      { id: 'k-no-items', value: envelope('k-no-items', purchase({ purchase_id: 'ord-k2', items: null, customer: null })) },
      // An escaped lone surrogate half, and an untypeable value whose shown text is cut at an emoji.
      { id: 'k-surrogates', value: envelope('k-surrogates', purchase({ purchase_id: 'ord-k3', store: { ...((documents.purchases[0] as Document).store as Document), store_name: 'Пикча \ud800' }, purchase_datetime: `${'x'.repeat(55)}😀😀` })) },
    ];
    const letter = { schema_version: 1, entity: 'customers', source_id: 'dlq-1', reason: 'missing business key customer_id', failed_at: '2026-11-25T12:00:01.000Z', pii_key_id: 'k1', document: { first_name: 'Иван', email: 'leaked@mail.ru' } };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: flow.topics.entities.purchases, messages: [...poison, ...kept].map(({ id, value }) => ({ key: id, value })) });
    await producer.send({ topic: flow.topics.deadLetter, messages: [{ key: 'dlq-1', value: JSON.stringify(letter) }] });
    await producer.disconnect();

    const result = await cli(flow, ['ingest']);
    // stderr carries only progress lines (every 5 s when not on a terminal), never an error.
    expect(result.stderr).not.toMatch(/^(piccha:|\{)/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${poison.length + 1} rejected into piccha_raw.rejected`);
    await withClickHouse(async (clickhouse) => {
      const rejected = await clickhouse.query<Record<string, string>>('SELECT * FROM piccha_raw.rejected WHERE startsWith(kafka_topic, {prefix:String})', { prefix: `${flow.prefix}.` });
      expect(rejected).toHaveLength(poison.length + 1);
      for (const { id, value, kind, error } of poison) {
        const row = rejected.find((r) => r.kafka_key === id);
        expect(row, id).toMatchObject({ origin: 'ingest', error_kind: kind, kafka_topic: flow.topics.entities.purchases });
        expect(row?.error).toMatch(error);
        if (kind !== 'plaintext_pii') expect(row?.payload).toBe(value);
      }
      const plaintext = rejected.find((r) => r.kafka_key === 'p-plaintext');
      expect(plaintext?.payload).not.toContain('ivan.petrov');
      expect(JSON.parse(plaintext?.payload ?? '{}')).toMatchObject({ document: { purchase_id: 'ord-pt', customer: { email: PLAINTEXT_REMOVED } } });
      const dead = rejected.find((r) => r.kafka_topic === flow.topics.deadLetter);
      expect(dead).toMatchObject({ origin: 'producer', error_kind: 'dead_letter', entity: 'customers', source_id: 'dlq-1', failed_at: '2026-11-25 12:00:01.000' });
      expect(dead?.error).toMatch(/^missing business key customer_id; plaintext PII removed by ingest$/);
      expect(dead?.payload).not.toContain('leaked@mail.ru');

      const [counted] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_raw.purchases WHERE kafka_topic = {topic:String}', { topic: flow.topics.entities.purchases });
      expect(Number(counted?.n)).toBe(documents.purchases.length + kept.length);
      const keptRows = await clickhouse.query<Record<string, unknown>>("SELECT source_id, purchase_datetime, toString(total_amount) AS total, item_count, customer_id, customer_email_ciphertext, parse_errors FROM piccha_raw.purchases WHERE kafka_topic = {topic:String} AND startsWith(source_id, 'k-') ORDER BY source_id", { topic: flow.topics.entities.purchases });
      expect(keptRows).toEqual([
        { source_id: 'k-bad-date', purchase_datetime: null, total: '-12.5', item_count: (documents.purchases[0]?.items as unknown[]).length, customer_id: getPath(documents.purchases[0] as Document, 'customer.customer_id'), customer_email_ciphertext: protectedValue.ciphertext, parse_errors: ['purchase_datetime: not an ISO 8601 date and time with an offset: "вчера"'] },
        { source_id: 'k-no-items', purchase_datetime: `${String(documents.purchases[0]?.purchase_datetime).slice(0, 19).replace('T', ' ')}.000`, total: String(documents.purchases[0]?.total_amount), item_count: null, customer_id: null, customer_email_ciphertext: null, parse_errors: [] },
        { source_id: 'k-surrogates', purchase_datetime: null, total: String(documents.purchases[0]?.total_amount), item_count: (documents.purchases[0]?.items as unknown[]).length, customer_id: getPath(documents.purchases[0] as Document, 'customer.customer_id'), customer_email_ciphertext: protectedValue.ciphertext, parse_errors: [`purchase_datetime: not an ISO 8601 date and time with an offset: "${'x'.repeat(55)}…`] },
      ]);
      const [surrogates] = await clickhouse.query<{ store_name: string }>("SELECT store_name FROM piccha_raw.purchases WHERE kafka_topic = {topic:String} AND source_id = 'k-surrogates'", { topic: flow.topics.entities.purchases });
      expect(surrogates?.store_name).toBe('Пикча \ufffd');
    });
  });

  it('two consumers in one group, one joining and one leaving mid-stream: every offset once, totals equal the source', async () => {
    const flow = newFlow(connection.client);
    const { documents } = await generateLoadProduce(flow, kafka, { stores: 5, products: 10, customers: 5, purchases: 4000 }, { produceBatch: 100 });
    const clickhouse = new EmbeddedClickHouse(dataPath);
    try {
      const options = (signal: AbortSignal) => ({ topics: flow.topics, partitions: 3, groupId: `group-${flow.prefix}`, follow: true, maxBatchRows: 100, maxBatchMs: 200, deadlineMs: 30_000, signal });
      const purchases = async () => (await purchaseTotals(clickhouse, flow)).rows;
      const until = async (condition: () => Promise<boolean>, what: string) => {
        const deadline = Date.now() + 90_000;
        while (!(await condition())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const first = new AbortController();
      const second = new AbortController();
      // Slow the first consumer down so that the second one joins while there is work left.
      const slowClickHouse: ClickHouse = { ...clickhouse, description: clickhouse.description, exec: (q, p) => clickhouse.exec(q, p), query: (q, p) => clickhouse.query(q, p), queryBatches: (q, p) => clickhouse.queryBatches(q, p), close: () => Promise.resolve(), insert: async (table, rows, settings) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await clickhouse.insert(table, rows, settings);
      }, insertCompact: async (table, rows, settings) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await clickhouse.insertCompact(table, rows, settings);
      }, insertRowBinary: async (table, rows, settings) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await clickhouse.insertRowBinary(table, rows, settings);
      } };
      const a = ingest(kafka, slowClickHouse, options(first.signal), quietLogger);
      await until(async () => (await purchases()) > 300, 'the first consumer to be under way');
      const b = ingest(kafka, slowClickHouse, options(second.signal), quietLogger);
      await until(async () => (await purchases()) > 2000, 'both consumers to be under way');
      first.abort();
      const summaryA = await a;
      expect((await purchases())).toBeLessThan(4000);
      await until(async () => (await purchases()) >= 4000, 'the second consumer to take over');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      second.abort();
      const summaryB = await b;
      expect(summaryA.topics[flow.topics.entities.purchases]?.messages).toBeGreaterThan(0);
      expect(summaryB.topics[flow.topics.entities.purchases]?.messages).toBeGreaterThan(0);
      for (const table of INGEST_TABLES) expect(await duplicates(clickhouse, table, flow.prefix), table).toBe(0);
      expect(await purchaseTotals(clickhouse, flow)).toEqual({ rows: 4000, offsets: 4000, kopecks: totalKopecks(documents.purchases), items: itemCount(documents.purchases) });
    } finally {
      await clickhouse.close();
    }
  }, 180_000);

  it('without --follow, a partition whose records are all past retention does not keep it waiting: it ends with every record the others hold', async () => {
    const flow = newFlow(connection.client);
    await generateLoadProduce(flow, kafka, { stores: 3, products: 3, customers: 3, purchases: 40 });
    const topic = flow.topics.entities.purchases;
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Retention as Kafka applies it: the log start moves to the end, the end offset stays (the first call loads the topic's metadata).
      await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
      const offsets = await admin.fetchTopicOffsets(topic);
      const emptied = offsets.find(({ partition }) => partition === 0);
      expect(Number(emptied?.high)).toBeGreaterThan(0);
      expect(emptied?.low).toBe(emptied?.high);
    } finally {
      await admin.disconnect();
    }
    // Counted by reading: offsets also count each producer transaction's commit marker.
    const kept = (await readAll(kafka, [topic])).length;
    expect(kept).toBeGreaterThan(0);
    const running = startCli(['ingest', '--group', `${flow.prefix}-retention`], testEnv({ ...flow.env, CLICKHOUSE_DATA_PATH: dataPath }));
    const outcome = await Promise.race([running.result, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
    if (outcome === 'still running') running.kill('SIGKILL');
    expect(outcome).not.toBe('still running');
    expect((outcome as CliResult).code).toBe(0);
    await withClickHouse(async (clickhouse) => expect((await purchaseTotals(clickhouse, flow)).offsets).toBe(kept));
  }, 120_000);

  it("without --follow, a partition that ends with an aborted transaction (a fenced producer's batch) does not keep it waiting, and nothing of that batch lands", async () => {
    const flow = newFlow(connection.client);
    await generateLoadProduce(flow, kafka, { stores: 3, products: 3, customers: 3, purchases: 40 });
    const topic = flow.topics.entities.purchases;
    const group = ['--group', `${flow.prefix}-fenced`];
    const rejectedRows = (clickhouse: ClickHouse) => clickhouse.query(`SELECT 1 FROM ${REJECTED_TABLE} WHERE kafka_topic = {topic:String}`, { topic });
    const first = await cli(flow, ['ingest', ...group]);
    expect(first.code, first.stderr).toBe(0);
    const before = await withClickHouse(async (clickhouse) => ({ totals: await purchaseTotals(clickhouse, flow), rejected: (await rejectedRows(clickhouse)).length }));
    expect(before.totals.rows).toBe(40);

    // A producer that lost its place: its batch reached the broker, then its successor started
    // and aborted it. The partition now ends with records no consumer ever reads (the aborted
    // batch and its abort marker), fetched on their own by the group's next run.
    const zombie = kafka.producer({ ...PRODUCER_CONFIG, transactionalId: transactionalIdOf(topic) });
    await zombie.connect();
    const successor = new FencedSender(kafka, { transactionalId: transactionalIdOf(topic), config: PRODUCER_CONFIG, sendSettings: SEND_SETTINGS });
    try {
      const open = await zombie.transaction();
      await open.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'late', value: '{"not": "read"}', partition: 0 }] }], ...SEND_SETTINGS });
      await successor.start();
    } finally {
      await Promise.all([zombie.disconnect(), successor.close()]);
    }

    const running = startCli(['ingest', ...group], testEnv({ ...flow.env, CLICKHOUSE_DATA_PATH: dataPath }));
    const outcome = await Promise.race([running.result, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
    if (outcome === 'still running') running.kill('SIGKILL');
    expect(outcome).not.toBe('still running');
    expect((outcome as CliResult).code, (outcome as CliResult).stderr).toBe(0);
    const after = await withClickHouse(async (clickhouse) => ({ totals: await purchaseTotals(clickhouse, flow), rejected: (await rejectedRows(clickhouse)).length }));
    expect(after).toEqual(before);
  }, 120_000);

  it('exits non-zero naming Kafka when no broker answers within the deadline, and ClickHouse when it cannot be reached', async () => {
    const flow = newFlow(connection.client);
    const started = Date.now();
    const noKafka = await cli(flow, ['ingest', '--deadline-ms', '2000'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(noKafka.code).toBe(1);
    expect(noKafka.stderr.trim().split('\n')).toHaveLength(1);
    expect(noKafka.stderr).toMatch(/^piccha: cannot reach Kafka \(KAFKA_BROKERS\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
    const noClickHouse = await cli(flow, ['ingest'], { CLICKHOUSE_URL: 'http://127.0.0.1:1', CLICKHOUSE_PASSWORD: 'secret-pw' });
    expect(noClickHouse.code).toBe(1);
    expect(noClickHouse.stderr).toMatch(/^piccha: cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1 \(CLICKHOUSE_URL\): /);
    expect(noClickHouse.stderr).not.toContain('secret-pw');
  });
});
