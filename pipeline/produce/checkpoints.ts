import type { Db, ObjectId } from 'mongodb';
import type { Entity } from '../entities/entities.js';

export const CHECKPOINTS_COLLECTION = 'producer_checkpoints';

/**
 * How far the producer got with one entity's outbox into one topic (the checkpoint's _id), as
 * the broker acknowledged it: in outbox segment `segment`, the first `position` entries, the
 * last of them `last_id`; `done` once the whole segment is in Kafka. `last_batch` and
 * `last_index` name the last entry sent, whichever segment it was in, by its append and its place
 * there: a copy of it or of an earlier entry of the same append, found later, is not sent again.
 */
export interface Checkpoint {
  /** The topic. */
  readonly _id: string;
  readonly entity: Entity;
  readonly segment: number;
  readonly position: number;
  readonly last_id: ObjectId | null;
  readonly done: boolean;
  readonly last_batch: ObjectId | null;
  readonly last_index: number;
  readonly updated_at: Date;
}

export type CheckpointState = Omit<Checkpoint, '_id' | 'entity' | 'updated_at'>;

/** The stored checkpoint's state; one written before entries named their append reads as "none sent". */
export async function readCheckpoint(db: Db, topic: string): Promise<CheckpointState | null> {
  const stored = await db.collection<Omit<Checkpoint, 'last_batch' | 'last_index'> & Partial<Checkpoint>>(CHECKPOINTS_COLLECTION).findOne({ _id: topic });
  if (stored === null) return null;
  return { segment: stored.segment, position: stored.position, last_id: stored.last_id, done: stored.done, last_batch: stored.last_batch ?? null, last_index: stored.last_index ?? -1 };
}

/** A checkpoint only moves forward: a state that is not after the stored one is refused. */
export function isAfter(next: CheckpointState, previous: CheckpointState | null): boolean {
  if (previous === null) return true;
  if (next.segment !== previous.segment) return next.segment > previous.segment;
  if (next.position !== previous.position) return next.position > previous.position;
  return next.done && !previous.done;
}

export async function writeCheckpoint(db: Db, topic: string, entity: Entity, previous: CheckpointState | null, next: CheckpointState): Promise<void> {
  if (!isAfter(next, previous)) throw new Error(`checkpoint of ${topic} would move backwards (segment ${previous?.segment}, position ${previous?.position} → segment ${next.segment}, position ${next.position})`);
  await db.collection<Checkpoint>(CHECKPOINTS_COLLECTION).updateOne({ _id: topic }, { $set: { entity, ...next, updated_at: new Date() } }, { upsert: true });
}
