import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoConnection } from '../../pipeline/mongo/client.js';
import { Lease } from '../../pipeline/mongo/lease.js';
import { testConfig } from '../helpers/services.js';

describe('lease: one holder at a time in MongoDB', () => {
  let connection: MongoConnection;
  let db: Db;

  beforeAll(async () => {
    connection = await connectMongo(testConfig().mongo);
    db = connection.client.db(`lease_${randomUUID().slice(0, 8)}`);
  });

  afterAll(async () => {
    await db.dropDatabase();
    await connection.client.close();
  });

  // FerretDB applies an update as read, modify, write back by _id: a beat still in flight when its
  // holder released could write the old holder back over the next one's lease.
  it('a holder that releases while a beat is in flight never takes the next holder\'s lease with it', async () => {
    for (let round = 0; round < 40; round++) {
      const first = await Lease.acquire(db, 'handover', { command: 'first', ttlMs: 250 });
      const beating = first.assertHeld();
      await first.release();
      await beating;
      const next = await Lease.acquire(db, 'handover', { command: 'next', ttlMs: 250 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(next.assertHeld(), `round ${round}`).resolves.toBeUndefined();
      await next.release();
    }
  }, 120_000);

  it('refuses a second holder, names the first, and lets it in once the first releases', async () => {
    const first = await Lease.acquire(db, 'refuse', { command: 'piccha first' });
    await expect(Lease.acquire(db, 'refuse', { command: 'piccha second' })).rejects.toThrow(/^refuse is held by `piccha first` \(pid \d+ on .*\); stop it first, or wait with --wait$/);
    await first.release();
    const second = await Lease.acquire(db, 'refuse', { command: 'piccha second' });
    await expect(second.assertHeld()).resolves.toBeUndefined();
    await second.release();
  });
});
