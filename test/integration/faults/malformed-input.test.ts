import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { ENTITIES, type Document, type Entity } from '../../../pipeline/entities/entities.js';
import { DIRTY_PROFILES } from '../../../pipeline/generate/defects.js';
import { runGeneration } from '../../../pipeline/generate/run.js';
import { ndjsonSink } from '../../../pipeline/generate/sinks.js';
import { createKafka } from '../../../pipeline/kafka/client.js';
import { REJECTED_COLLECTION } from '../../../pipeline/load/load.js';
import { connectMongo, type MongoConnection } from '../../../pipeline/mongo/client.js';
import { generateKeys } from '../../../pipeline/pii/keys.js';
import { topicNames } from '../../../pipeline/produce/topics.js';
import { runCli } from '../../helpers/cli.js';
import { FAULT_CLASSES, recordFault } from '../../helpers/fault-tally.js';
import { kopecks } from '../../helpers/mart-expectations.js';
import { quietLogger, testConfig, testEnv } from '../../helpers/services.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const MART_KEYS: Readonly<Record<Entity, string>> = { stores: 'store_id', products: 'product_id', customers: 'customer_id', purchases: 'purchase_id' };

/** Text that is valid and must arrive exactly: emoji with joiners, combining marks, right-to-left, CJK, quotes and SQL. */
const UNUSUAL = {
  first_name: 'Zoë Å 👩‍👩‍👧‍👦 🍏 עברית 漢字',
  last_name: `O'Brien"; DROP TABLE piccha_mart.customers; --`,
};
const SQL_LIKE = { first_name: `Robert'); DELETE FROM piccha_raw.purchases WHERE ('1'='1`, last_name: '\\N\t{name:String} $1 %s ${x} `rm -rf`' };

/**
 * Every entrance at once, end to end: files for `load` with lines that are no JSON, wrong types,
 * missing keys, a document over 16 MiB and valid but unusual text; garbage bytes written straight
 * to a topic. Each bad thing is refused where that stage keeps refusals, with its reason; every
 * valid document reaches the MART unchanged; every stage exits 0.
 */
describe('fault suite: malformed input at every entrance', () => {
  const temp = makeTempDir('faults-malformed');
  let connection: MongoConnection;
  let kafka: Kafka;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
    kafka = createKafka(testConfig().kafka, quietLogger);
  });
  afterAll(async () => {
    await connection.client.close();
    temp.remove();
  });

  it('refuses each with its reason, loses nothing valid, and no stage fails', async (context) => {
    const prefix = `m${randomUUID().slice(0, 8)}`;
    const keys = generateKeys();
    const dataPath = join(temp.path, 'clickhouse');
    const env = testEnv({ PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `faults_${prefix}`, PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey, CLICKHOUSE_DATA_PATH: dataPath });
    const topics = topicNames(prefix);
    const folder = join(temp.path, 'files');
    await runGeneration({ seed: 21, now: Date.now() - 60_000, days: 30, counts: { stores: 5, products: 5, customers: 5, purchases: 30 }, profile: 'none', defects: DIRTY_PROFILES.none ?? { rates: {}, maxCopies: 1 } }, ndjsonSink(folder));
    const clean = Object.fromEntries(ENTITIES.map((entity) => [entity, readFileSync(join(folder, `${entity}.ndjson`), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Document)])) as Record<Entity, Document[]>;
    const customer = clean.customers[0] as Document;
    const purchase = clean.purchases[0] as Document;

    const valid = [
      { ...customer, source_id: 'valid-unusual', customer_id: 'cust-unusual', ...UNUSUAL },
      { ...customer, source_id: 'valid-sql-like', customer_id: 'cust-sql-like', ...SQL_LIKE },
    ];
    const customerLines = [
      ...valid.map((document) => JSON.stringify(document)),
      '{"source_id": "not-json", "customer_id": ',
      'not json at all 🙃',
      JSON.stringify({ ...customer, source_id: 'no-key', customer_id: undefined }),
      JSON.stringify({ ...customer, source_id: 'wrong-type-name', customer_id: 'cust-wrong-type', first_name: 12345 }),
    ];
    appendFileSync(join(folder, 'customers.ndjson'), `${customerLines.join('\n')}\n`);
    const purchaseLines = [
      JSON.stringify({ ...purchase, source_id: 'wrong-type-total', purchase_id: 'ord-wrong-type', total_amount: 'сто рублей' }),
      JSON.stringify({ ...purchase, source_id: 'too-big', purchase_id: 'ord-too-big', note: 'x'.repeat(17 * 1024 * 1024) }),
    ];
    appendFileSync(join(folder, 'purchases.ndjson'), `${purchaseLines.join('\n')}\n`);

    const stages: string[] = [];
    const run = async (args: string[]) => {
      const result = await runCli(args, env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      stages.push(args[0] ?? '');
      return result;
    };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    await run(['load', folder]);
    const db = connection.client.db(env.MONGO_DB);
    const refusedByLoad = await db.collection<{ file: string; line: number; reason: string }>(REJECTED_COLLECTION).find({}, { projection: { _id: 0, file: 1, line: 1, reason: 1 } }).sort({ file: 1, line: 1 }).toArray();
    const firstHostileCustomerLine = clean.customers.length + valid.length + 1;
    expect(refusedByLoad.map(({ file, line }) => `${file}:${line}`)).toEqual([
      `customers.ndjson:${firstHostileCustomerLine}`,
      `customers.ndjson:${firstHostileCustomerLine + 1}`,
      `customers.ndjson:${firstHostileCustomerLine + 2}`,
      `purchases.ndjson:${clean.purchases.length + 2}`,
    ]);
    expect(refusedByLoad[0]?.reason).toMatch(/JSON/i);
    expect(refusedByLoad[1]?.reason).toMatch(/JSON/i);
    expect(refusedByLoad[2]?.reason).toMatch(/customer_id/);
    expect(refusedByLoad[3]?.reason).toMatch(/bytes as BSON .*: over MongoDB's 16.0 MiB document limit/);

    await run(['produce']);

    // Garbage straight onto the purchases topic, past the producer.
    const garbage: { key: string | null; value: Buffer | null }[] = [
      { key: 'bytes', value: Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0xc3]) },
      { key: 'text', value: Buffer.from('not json at all') },
      { key: 'cut', value: Buffer.from('{"schema_version":1,"entity":"purchases","source_id":"cut"') },
      { key: 'array', value: Buffer.from('[1,2,3]') },
      { key: 'empty', value: Buffer.alloc(0) },
      { key: null, value: null },
      { key: `x'; DROP TABLE piccha_raw.purchases; --`, value: Buffer.from(JSON.stringify({ schema_version: 1, entity: 'purchases', source_id: `x'; DROP TABLE piccha_raw.purchases; --`, op: 'upsert', document: { purchase_id: 'evil', items: 'nope' } })) },
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.entities.purchases, messages: garbage });
    await producer.disconnect();
    recordFault(context, FAULT_CLASSES.malformedInput, customerLines.length - valid.length + purchaseLines.length + garbage.length);

    await run(['ingest']);
    await run(['refresh']);
    expect(stages).toEqual(['load', 'produce', 'ingest', 'refresh']);

    const clickhouse = new EmbeddedClickHouse(dataPath);
    try {
      // Refused by the producer (wrong types), and by the ingest (the garbage), each with its reason.
      const rejected = await clickhouse.query<{ origin: string; source_id: string; error_kind: string; error: string; kafka_key: string }>(
        'SELECT origin, source_id, error_kind, error, kafka_key FROM piccha_raw.rejected ORDER BY origin, kafka_topic, kafka_partition, kafka_offset',
      );
      const byProducer = rejected.filter((row) => row.origin === 'producer');
      expect(byProducer.map((row) => row.source_id).sort()).toEqual(['wrong-type-name', 'wrong-type-total']);
      expect(byProducer.find((row) => row.source_id === 'wrong-type-name')?.error).toMatch(/first_name should be a string, got number/);
      expect(byProducer.find((row) => row.source_id === 'wrong-type-total')?.error).toMatch(/total_amount should be a number, got string/);
      const byIngest = rejected.filter((row) => row.origin === 'ingest');
      expect(byIngest).toHaveLength(garbage.length);
      for (const row of byIngest) {
        expect(row.error_kind, row.kafka_key).not.toBe('');
        expect(row.error, row.kafka_key).not.toBe('');
      }
      expect(byIngest.find((row) => row.kafka_key === 'text')?.error_kind).toBe('not_json');
      expect(byIngest.find((row) => row.kafka_key.startsWith('x'))?.error_kind).toBe('wrong_shape');

      // Every valid document, and nothing else, in the MART; the unusual text exactly as written.
      const expected: Record<Entity, Document[]> = { ...clean, customers: [...clean.customers, ...valid] };
      for (const entity of ENTITIES) {
        const ids = (await clickhouse.query<{ id: string }>(`SELECT source_id AS id FROM piccha_mart.${entity}`)).map((row) => row.id).sort();
        expect(ids, entity).toEqual(expected[entity].map((document) => String(document.source_id)).sort());
        expect(Number((await clickhouse.query<{ n: string }>(`SELECT uniqExact(${MART_KEYS[entity]}) AS n FROM piccha_mart.${entity}`))[0]?.n), entity).toBe(expected[entity].length);
      }
      for (const names of [UNUSUAL, SQL_LIKE]) {
        const [row] = await clickhouse.query<{ n: string }>(
          'SELECT count() AS n FROM piccha_mart.customers WHERE first_name = lowerUTF8({first:String}) AND last_name = lowerUTF8({last:String})',
          { first: names.first_name, last: names.last_name },
        );
        expect(Number(row?.n), names.first_name).toBe(1);
      }
      const revenue = clean.purchases.reduce((sum, document) => sum + kopecks(document.total_amount), 0);
      expect(Number((await clickhouse.query<{ n: string }>('SELECT toString(sum(total_amount) * 100) AS n FROM piccha_mart.purchases'))[0]?.n)).toBe(revenue);
      const refusedInMart = await clickhouse.query<{ source_id: string; rejected_by: string }>("SELECT source_id, rejected_by FROM piccha_mart.rejected_rows WHERE rejected_by != 'mart' ORDER BY source_id");
      expect(refusedInMart.filter((row) => row.rejected_by === 'producer').map((row) => row.source_id)).toEqual(['wrong-type-name', 'wrong-type-total']);
      expect(refusedInMart.filter((row) => row.rejected_by === 'ingest')).toHaveLength(garbage.length);
      // The tables the SQL-looking text named are all still there, with their rows.
      expect(Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM piccha_raw.purchases'))[0]?.n)).toBe(clean.purchases.length);
    } finally {
      await clickhouse.close();
    }
    await db.dropDatabase();
  }, 300_000);
});
