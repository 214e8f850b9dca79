import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoConnection } from '../../../pipeline/mongo/client.js';
import { appendToOutbox, dropSegment, readSegment, sealSegments } from '../../../pipeline/outbox/outbox.js';
import { testConfig } from '../../helpers/services.js';

/**
 * Found by the fault suite: on FerretDB an append racing the producer's drop of the segment it
 * had just sealed failed with "no such table", and the writer (a load, a generation) stopped.
 */
describe('outbox: writers appending while the producer seals, drains and drops segments', () => {
  let connection: MongoConnection;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
  });
  afterAll(async () => {
    await connection.client.close();
  });

  it('never fails an append, and every appended entry is drained', async () => {
    const db = connection.client.db(`outbox_${randomUUID().slice(0, 8)}`);
    const appended = new Set<string>();
    const drained = new Set<string>();
    let writing = true;
    const drain = async () => {
      for (const segment of await sealSegments(db, 'purchases')) {
        for await (const entry of readSegment(db, 'purchases', segment, 100)) drained.add(String(entry.document.source_id));
        await dropSegment(db, 'purchases', segment);
      }
    };
    const drainer = (async () => {
      while (writing) await drain();
    })();
    const writer = async (name: string) => {
      for (let batch = 0; batch < 100; batch++) {
        const documents = Array.from({ length: 20 }, (_, i) => ({ source_id: `${name}-${batch}-${i}` }));
        await appendToOutbox(db, 'purchases', documents);
        for (const document of documents) appended.add(document.source_id);
      }
    };
    try {
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(writer));
    } finally {
      writing = false;
      await drainer;
    }
    await drain();
    expect(appended.size).toBe(6 * 100 * 20);
    expect([...appended].filter((id) => !drained.has(id))).toEqual([]);
    await db.dropDatabase();
  }, 120_000);
});
