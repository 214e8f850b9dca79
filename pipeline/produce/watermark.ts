import type { Db } from 'mongodb';
import type { Document, Entity } from '../entities/entities.js';
import { LOADED_AT } from '../load/mongo-writer.js';
import type { Checkpoint } from './checkpoints.js';

/**
 * How the producer finds what to send without change streams (FerretDB has none) and without
 * missing a document written while it runs.
 *
 * Writers stamp each document with `_loaded_at` right before writing it. The producer works in
 * passes: a pass covers documents stamped after the watermark and no later than `until`, set
 * when the pass starts to now minus a lag (2 s by default). A document stamped before `until`
 * was written within the lag, so it is visible to the pass; one stamped later belongs to the
 * next pass, whose range starts where this one ends. When a pass completes, the watermark
 * moves to its `until`. An updated document gets a new stamp and is sent again, in order.
 *
 * A pass reads in the collection's natural order, which updates in place do not change (the
 * operational store only inserts and updates; it never deletes). It reads every document
 * stamped after the watermark, also those past `until`, which it counts but does not send:
 * so positions stay fixed while the pass runs, and the checkpoint records the position up to
 * which the broker acknowledged. A restart resumes after that position, re-sending at most
 * the batch that was not acknowledged.
 */
export interface PassItem {
  /** 1-based position in the pass. */
  readonly position: number;
  /** The stored document, or undefined when it belongs to a later pass. */
  readonly document: Document | undefined;
}

export async function* readPass(db: Db, entity: Entity, checkpoint: Checkpoint & { pass: NonNullable<Checkpoint['pass']> }, batchSize: number): AsyncGenerator<PassItem> {
  const cursor = db.collection<Document>(entity).find({ [LOADED_AT]: { $gt: checkpoint.watermark } }, { batchSize });
  let position = 0;
  try {
    for await (const stored of cursor) {
      position += 1;
      if (position <= checkpoint.pass.position) continue;
      const loadedAt = stored[LOADED_AT];
      yield { position, document: loadedAt instanceof Date && loadedAt <= checkpoint.pass.until ? stored : undefined };
    }
  } finally {
    await cursor.close();
  }
}
