import { randomUUID } from 'node:crypto';
import { MongoBulkWriteError, MongoServerError, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkWriteChunked } from '../../pipeline/mongo/bulk-write.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { testConfig } from '../helpers/services.js';

interface Store {
  store_id: string;
  store_network: string;
  manager: { name: string; email: string };
}

describe('MongoDB-protocol server (mongodb driver)', () => {
  let connection: MongoConnection;
  let db: Db;

  beforeAll(async () => {
    connection = await connectMongo({ ...testConfig().mongo, database: `harness_${randomUUID().slice(0, 8)}` });
    db = connection.db;
  });

  afterAll(async () => {
    await db.dropDatabase();
    await connection.client.close();
  });

  it('writes and reads nested documents with Cyrillic text', async () => {
    const stores = db.collection<Store>('stores');
    await stores.insertOne({ store_id: 'store-001', store_network: 'Большая Пикча', manager: { name: 'Иван Петров', email: 'ivan@example.ru' } });
    expect(await stores.findOne({ 'manager.name': 'Иван Петров' }, { projection: { _id: 0 } })).toEqual({
      store_id: 'store-001',
      store_network: 'Большая Пикча',
      manager: { name: 'Иван Петров', email: 'ivan@example.ru' },
    });
  });

  it('enforces a unique index', async () => {
    const stores = db.collection<Store>('unique_stores');
    await stores.createIndex({ store_id: 1 }, { unique: true });
    await stores.insertOne({ store_id: 'store-002', store_network: 'Маленькая Пикча', manager: { name: 'A', email: 'a@b.ru' } });
    const error = await stores.insertOne({ store_id: 'store-002', store_network: 'x', manager: { name: 'B', email: 'b@b.ru' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
  });

  it('finds a document by _id through the _id index, not a scan of the collection (a replace and a delete by _id look it up the same way)', async () => {
    const purchases = db.collection<{ _id: string; total: number }>('indexed_purchases');
    await purchases.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `purchase-${i}`, total: i })));
    // FerretDB passes SQLite's query plan through explain: the launcher's patch (patches.json) is what makes it an index search.
    const explained = await db.command({ explain: { find: 'indexed_purchases', filter: { _id: 'purchase-7' } } });
    const plan = (explained.queryPlanner as { Plan: string[] }).Plan.join('\n');
    expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_ /);
    expect(plan).not.toMatch(/\bSCAN\b/);
    expect(await purchases.findOne({ _id: 'purchase-7' })).toEqual({ _id: 'purchase-7', total: 7 });
    expect(await purchases.replaceOne({ _id: 'purchase-8' }, { total: 800 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await purchases.deleteOne({ _id: 'purchase-9' })).toMatchObject({ deletedCount: 1 });
    expect(await purchases.find({ _id: { $in: ['purchase-7', 'purchase-8', 'purchase-9'] } }).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'purchase-7', total: 7 },
      { _id: 'purchase-8', total: 800 },
    ]);
    expect(await purchases.countDocuments()).toBe(199);
  });

  it('bulk-upserts unordered by _id, in chunks: repeats add nothing, changed documents update', async () => {
    const stores = db.collection<Store & { _id: string }>('bulk_stores');
    await stores.createIndex({ store_id: 1 }, { unique: true });
    const docs = Array.from({ length: 500 }, (_, i) => ({ _id: `src-${i}`, store_id: `store-${i}`, store_network: i < 300 ? 'Большая Пикча' : 'Маленькая Пикча', manager: { name: `m${i}`, email: `m${i}@piccha.ru` } }));
    const upserts = (batch: typeof docs) => batch.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: doc }, upsert: true } }));

    expect(await bulkWriteChunked(stores, upserts(docs))).toMatchObject({ upserted: 500, matched: 0 });
    expect(await bulkWriteChunked(stores, upserts(docs))).toMatchObject({ upserted: 0, matched: 500, modified: 0 });
    const changed = docs.slice(0, 10).map((doc) => ({ ...doc, manager: { ...doc.manager, name: 'Новый' } }));
    expect(await bulkWriteChunked(stores, upserts(changed))).toMatchObject({ upserted: 0, matched: 10, modified: 10 });
    expect(await stores.countDocuments()).toBe(500);
    expect(await stores.countDocuments({ store_network: 'Большая Пикча' })).toBe(300);
    expect(await stores.countDocuments({ 'manager.name': 'Новый' })).toBe(10);
  });

  it('reports each failed write of an unordered bulk insert and keeps the rest', async () => {
    const stores = db.collection<Store>('bulk_errors');
    await stores.createIndex({ store_id: 1 }, { unique: true });
    const doc = (id: string) => ({ store_id: id, store_network: 'Большая Пикча', manager: { name: 'x', email: 'x@y.ru' } });
    const error = await stores.insertMany([doc('a'), doc('a'), doc('b'), doc('b'), doc('c')], { ordered: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    expect((error as MongoBulkWriteError).writeErrors).toHaveLength(2);
    expect(await stores.countDocuments()).toBe(3);
  });
});
