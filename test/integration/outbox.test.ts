import { randomUUID } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../pipeline/entities/entities.js';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { appendToOutbox, readSegment, sealSegments, segmentName } from '../../pipeline/outbox/outbox.js';
import { testConfig } from '../helpers/services.js';

const read = async (db: ReturnType<MongoConnection['client']['db']>, segment: number) => {
  const documents: Document[] = [];
  for await (const entry of readSegment(db, 'purchases', segment, 2)) documents.push(entry.document);
  return documents;
};

describe('outbox: what a writer appends is what the producer reads', () => {
  let connection: MongoConnection;
  const databases: string[] = [];
  const freshDb = () => {
    const name = `outbox_${randomUUID().slice(0, 8)}`;
    databases.push(name);
    return connection.client.db(name);
  };

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
  });
  afterAll(async () => {
    for (const name of databases) await connection.client.db(name).dropDatabase();
    await connection.client.close();
  });

  it('reads every document back as appended, in order: dates, nesting, unicode and number kinds kept', async () => {
    const db = freshDb();
    const documents: Document[] = [
      { _id: 'p-1', purchase_id: 'P1', _loaded_at: new Date('2026-11-26T10:00:00.123Z'), total_amount: 1234.5, item_count: 2, is_delivery: false, items: [{ product_id: 'a', quantity: 3, price_per_unit: 0.1 }], customer: { email: 'x@piccha.ru', phone: null } },
      { _id: 'p-2', purchase_id: 'P2 «Пикча» 🛒 \'; DROP TABLE x; --', big: 2 ** 53 - 1, negative: -7, nested: { deeper: { list: [[1, 2], []] } } },
      { _id: 'p-3', purchase_id: 'P3' },
    ];
    await appendToOutbox(db, 'purchases', documents);
    const [segment] = await sealSegments(db, 'purchases');
    expect(await read(db, segment ?? 0)).toEqual(documents);
  });

  it('still drains entries holding a nested document, as appended before entries held bytes', async () => {
    const db = freshDb();
    const legacy: Document = { _id: 'p-old', purchase_id: 'OLD', _loaded_at: new Date('2026-11-01T00:00:00Z') };
    await db.collection(segmentName('purchases', 1)).insertOne({ document: legacy, batch: new ObjectId(), index: 0 });
    const current: Document = { _id: 'p-new', purchase_id: 'NEW' };
    await appendToOutbox(db, 'purchases', [current]);
    const [segment] = await sealSegments(db, 'purchases');
    expect(await read(db, segment ?? 0)).toEqual([legacy, current]);
  });

  it('fails naming the segment when an entry holds no document, instead of sending something empty', async () => {
    const db = freshDb();
    await db.collection(segmentName('purchases', 1)).insertOne({ batch: new ObjectId(), index: 0 });
    const [segment] = await sealSegments(db, 'purchases');
    await expect(read(db, segment ?? 0)).rejects.toThrow(/outbox entry \w+ of outbox_purchases_1 holds no document/);
  });
});
