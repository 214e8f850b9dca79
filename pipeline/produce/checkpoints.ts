import type { Db } from 'mongodb';
import type { Entity } from '../entities/entities.js';

export const CHECKPOINTS_COLLECTION = 'producer_checkpoints';

/**
 * How far the producer got with one collection into one topic (the checkpoint's _id), as the
 * broker acknowledged it. `watermark`:
 * every document loaded at or before it is in Kafka. `pass`: a pass under way, over documents
 * loaded after the watermark and up to `until`, of which the first `position` (in the
 * collection's natural order) are in Kafka.
 */
export interface Checkpoint {
  /** The topic. */
  readonly _id: string;
  readonly entity: Entity;
  readonly watermark: Date;
  readonly pass: { readonly until: Date; readonly position: number } | null;
  readonly updated_at: Date;
}

export const EPOCH = new Date(0);

export async function readCheckpoint(db: Db, topic: string, entity: Entity): Promise<Checkpoint> {
  const found = await db.collection<Checkpoint>(CHECKPOINTS_COLLECTION).findOne({ _id: topic });
  return found ?? { _id: topic, entity, watermark: EPOCH, pass: null, updated_at: EPOCH };
}

export async function writeCheckpoint(db: Db, checkpoint: Omit<Checkpoint, 'updated_at'>): Promise<void> {
  await db.collection<Checkpoint>(CHECKPOINTS_COLLECTION).updateOne(
    { _id: checkpoint._id },
    { $set: { entity: checkpoint.entity, watermark: checkpoint.watermark, pass: checkpoint.pass, updated_at: new Date() } },
    { upsert: true },
  );
}

export async function resetCheckpoints(db: Db, topics: readonly string[]): Promise<void> {
  await db.collection<Checkpoint>(CHECKPOINTS_COLLECTION).deleteMany({ _id: { $in: [...topics] } });
}
