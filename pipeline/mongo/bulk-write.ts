import type { AnyBulkWriteOperation, BulkWriteResult, Collection, Document } from 'mongodb';

/**
 * Most updates one bulk command may carry. FerretDB 1.24 keeps every update's cursor open
 * until the whole command ends (a `defer` inside its update loop), each on one of its 100
 * pooled SQLite connections: a command with about 100 updates or more waits forever for a
 * connection and leaves the server stuck. Chunks of this size stay well clear of that.
 */
export const MAX_UPDATES_PER_COMMAND = 50;

export interface BulkWriteTotals {
  inserted: number;
  upserted: number;
  matched: number;
  modified: number;
  deleted: number;
}

function add(totals: BulkWriteTotals, result: BulkWriteResult): void {
  totals.inserted += result.insertedCount;
  totals.upserted += result.upsertedCount;
  totals.matched += result.matchedCount;
  totals.modified += result.modifiedCount;
  totals.deleted += result.deletedCount;
}

/** An unordered bulk write, sent in chunks that the MongoDB-protocol server can take. */
export async function bulkWriteChunked<T extends Document>(
  collection: Collection<T>,
  operations: readonly AnyBulkWriteOperation<T>[],
  chunkSize = MAX_UPDATES_PER_COMMAND,
): Promise<BulkWriteTotals> {
  const totals: BulkWriteTotals = { inserted: 0, upserted: 0, matched: 0, modified: 0, deleted: 0 };
  for (let start = 0; start < operations.length; start += chunkSize) {
    add(totals, await collection.bulkWrite(operations.slice(start, start + chunkSize), { ordered: false }));
  }
  return totals;
}
