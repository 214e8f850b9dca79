import { randomUUID } from 'node:crypto';
import type { CommandStartedEvent, Db, Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoDocumentWriter } from '../../pipeline/load/mongo-writer.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { testConfig } from '../helpers/services.js';

const purchase = (i: number, total = i + 1) => ({ source_id: `p-${i}`, purchase_id: `ord-${i}`, total_amount: total });

/** What the writer asked the server about the purchases collection, sorted by kind. */
interface PurchaseFinds {
  /** Finds by one _id: lookups. */
  readonly byId: number;
  /** Finds without a filter beyond the one-document probe: reads of the whole collection. */
  readonly whole: number;
}

function purchaseFinds(events: readonly CommandStartedEvent[]): PurchaseFinds {
  const finds = events.filter((event) => event.commandName === 'find' && event.command.find === 'purchases');
  const filterOf = (event: CommandStartedEvent) => (event.command.filter ?? {}) as Document;
  return {
    byId: finds.filter((event) => typeof filterOf(event)._id === 'string').length,
    whole: finds.filter((event) => Object.keys(filterOf(event)).length === 0 && event.command.limit !== 1).length,
  };
}

async function outboxEntries(db: Db): Promise<number> {
  let entries = 0;
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (name.startsWith('outbox_purchases_')) entries += await db.collection(name).countDocuments();
  }
  return entries;
}

describe('how the writer learns what a collection holds (FerretDB)', () => {
  let plain: MongoConnection;
  let watched: MongoConnection;
  const events: CommandStartedEvent[] = [];

  beforeAll(async () => {
    plain = await connectMongo(testConfig().mongo);
    watched = await connectMongo(testConfig().mongo, { monitorCommands: true });
    watched.client.on('commandStarted', (event) => events.push(event));
  });
  afterAll(async () => {
    await plain.client.close();
    await watched.client.close();
  });

  /** A database holding `count` purchases written by an earlier load, and the same database seen through the watched client. */
  async function loaded(count: number): Promise<{ db: Db; watchedDb: Db }> {
    const name = `lookups_${randomUUID().slice(0, 8)}`;
    const db = plain.client.db(name);
    const writer = new MongoDocumentWriter(db, { batchSize: 100 });
    for (let i = 0; i < count; i++) await writer.write('purchases', purchase(i));
    await writer.close();
    events.length = 0;
    return { db, watchedDb: watched.client.db(name) };
  }

  it('a small load into a loaded collection looks its documents up by _id and does not read the collection', async () => {
    const { db, watchedDb } = await loaded(400);
    const writer = new MongoDocumentWriter(watchedDb, { batchSize: 50 });
    for (let i = 0; i < 5; i++) await writer.write('purchases', purchase(i));
    for (let i = 5; i < 8; i++) await writer.write('purchases', purchase(i, 1000 + i));
    for (let i = 400; i < 402; i++) await writer.write('purchases', purchase(i));
    await writer.close();

    expect(writer.counts.purchases).toEqual({ inserted: 2, updated: 3, unchanged: 5 });
    expect(purchaseFinds(events)).toEqual({ byId: 10, whole: 0 });
    expect(await outboxEntries(db)).toBe(400 + 3 + 2);
    const changed = await db.collection<{ _id: string; total_amount: number }>('purchases').find({ _id: { $in: ['p-5', 'p-6', 'p-7'] } }).toArray();
    expect(changed.map((document) => document.total_amount).sort()).toEqual([1005, 1006, 1007]);
    expect(await db.collection('purchases').countDocuments()).toBe(402);
    await db.dropDatabase();
  });

  it('a load as large as the collection reads it once instead of looking every document up', async () => {
    const { db, watchedDb } = await loaded(400);
    const writer = new MongoDocumentWriter(watchedDb, { batchSize: 50 });
    for (let i = 0; i < 400; i++) await writer.write('purchases', i === 123 ? purchase(i, 5000) : purchase(i));
    await writer.close();

    expect(writer.counts.purchases).toEqual({ inserted: 0, updated: 1, unchanged: 399 });
    const finds = purchaseFinds(events);
    expect(finds.whole).toBe(1);
    // Lookups may cost at most a quarter of the whole read, and a lookup costs at least one streamed document.
    expect(finds.byId).toBeLessThanOrEqual(400 / 4);
    expect(await outboxEntries(db)).toBe(400 + 1);
    expect((await db.collection<{ _id: string; total_amount: number }>('purchases').findOne({ _id: 'p-123' }))?.total_amount).toBe(5000);
    await db.dropDatabase();
  });

  it('a load that outgrows its lookups switches to one read mid-run and still sees what it wrote before and after', async () => {
    const { db, watchedDb } = await loaded(400);
    const writer = new MongoDocumentWriter(watchedDb, { batchSize: 10 });
    await writer.write('purchases', purchase(3, 3000));
    for (let i = 0; i < 200; i++) if (i !== 3) await writer.write('purchases', i === 150 ? purchase(i, 1500) : purchase(i));
    await writer.flush();
    // Back to the stored content, in a later batch: a version of its own, not "unchanged".
    await writer.write('purchases', purchase(150));
    await writer.close();

    expect(writer.counts.purchases).toEqual({ inserted: 0, updated: 3, unchanged: 198 });
    const finds = purchaseFinds(events);
    expect(finds.byId).toBeGreaterThan(0);
    expect(finds.whole).toBe(1);
    expect(await outboxEntries(db)).toBe(400 + 3);
    const totals = await db.collection<{ _id: string; total_amount: number }>('purchases').find({ _id: { $in: ['p-3', 'p-150'] } }).toArray();
    expect(Object.fromEntries(totals.map((document) => [document._id, document.total_amount]))).toEqual({ 'p-3': 3000, 'p-150': 151 });
    await db.dropDatabase();
  });

  it('a writer beside a live stream (lookupsOnly) never reads the whole collection, however much it writes', async () => {
    const { db, watchedDb } = await loaded(100);
    const writer = new MongoDocumentWriter(watchedDb, { batchSize: 20, lookupsOnly: true });
    for (let i = 50; i < 250; i++) await writer.write('purchases', purchase(i));
    await writer.close();

    expect(writer.counts.purchases).toEqual({ inserted: 150, updated: 0, unchanged: 50 });
    expect(purchaseFinds(events)).toEqual({ byId: 200, whole: 0 });
    expect(await outboxEntries(db)).toBe(100 + 150);
    await db.dropDatabase();
  });

  it('into a collection that started empty, only documents written twice in the run are looked up', async () => {
    const name = `lookups_${randomUUID().slice(0, 8)}`;
    events.length = 0;
    const writer = new MongoDocumentWriter(watched.client.db(name), { batchSize: 50 });
    for (let i = 0; i < 100; i++) await writer.write('purchases', purchase(i));
    await writer.flush();
    for (let i = 0; i < 4; i++) await writer.write('purchases', purchase(i));
    await writer.write('purchases', purchase(4, 777));
    await writer.close();

    expect(writer.counts.purchases).toEqual({ inserted: 100, updated: 1, unchanged: 4 });
    expect(purchaseFinds(events)).toEqual({ byId: 5, whole: 0 });
    await plain.client.db(name).dropDatabase();
  });
});
