import type { Collection, Document, Filter } from 'mongodb';

/** Lookups by _id in flight at once: enough to overlap round trips, far below FerretDB's 100 SQLite connections. */
const LOOKUP_CONCURRENCY = 8;

/**
 * What one lookup by _id costs, in documents streamed by a read of the whole collection: 1.9 and
 * 2.5 in two runs of the load benchmark's small-load cases on FerretDB 1.24 at 100,000 purchases
 * (659 and 384 lookups a second, 8 at a time, against 1,250 and 977 documents a second read).
 */
export const LOOKUP_COST_IN_STREAMED_DOCUMENTS = 2.5;

/**
 * The part of a whole read's cost that lookups may spend before the writer reads everything
 * instead: a load that turns out large then pays at most this much more than reading
 * everything up front, and a small one pays only for its own documents.
 */
const LOOKUP_BUDGET_SHARE = 0.25;

/** The lookups a collection of `stored` documents allows before the writer reads all of it instead. */
function lookupBudget(stored: number): number {
  return Math.floor((stored * LOOKUP_BUDGET_SHARE) / LOOKUP_COST_IN_STREAMED_DOCUMENTS);
}

type Knowledge =
  | { readonly mode: 'started-empty' }
  | { readonly mode: 'lookup'; lookupsLeft: number }
  | { readonly mode: 'read-all'; readonly hashes: Map<string, string> };

/**
 * The content hash of each document a collection holds, as one writer learns it. A collection
 * empty at the first write needs no lookups at all (a document written twice shows up as a
 * duplicate-key error). Otherwise each batch's ids are looked up by _id, until those lookups
 * would have cost a share of reading the whole collection once; from then on it is read once
 * and kept in memory (about 150 bytes a document). The writer's lease means nobody else writes
 * meanwhile, so what was learnt stays true.
 */
export class StoredHashes<T extends Document & { _id: string }> {
  private knowledge: Knowledge | undefined;

  /**
   * `lookupsOnly`: never read the whole collection. For a writer that keeps running beside a
   * live stream (`demo --follow`), where that read would stall the stream for minutes.
   */
  constructor(
    private readonly collection: Collection<T>,
    private readonly hashField: keyof T & string,
    private readonly lookupsOnly = false,
  ) {}

  /** The stored hash of each of `ids` the collection holds; null when it was empty at the first call. */
  async of(ids: readonly string[]): Promise<ReadonlyMap<string, string> | null> {
    this.knowledge ??= await this.firstLook();
    const knowledge = this.knowledge;
    if (knowledge.mode === 'started-empty') return null;
    if (knowledge.mode === 'read-all') return knowledge.hashes;
    if (ids.length <= knowledge.lookupsLeft) {
      knowledge.lookupsLeft -= ids.length;
      return this.lookUp(ids);
    }
    const hashes = await this.readAll();
    this.knowledge = { mode: 'read-all', hashes };
    return hashes;
  }

  /** The stored hash of every document of the collection, in one pass. */
  async readAll(): Promise<Map<string, string>> {
    const hashes = new Map<string, string>();
    for await (const stored of this.collection.find({}, { projection: { [this.hashField]: 1 }, batchSize: 10_000 })) hashes.set(stored._id, String(stored[this.hashField]));
    return hashes;
  }

  /** Records documents just written, so that a later batch naming them again sees them. */
  remember(documents: readonly T[]): void {
    if (this.knowledge?.mode !== 'read-all') return;
    for (const document of documents) this.knowledge.hashes.set(document._id, String(document[this.hashField]));
  }

  /** The stored hash of each of `ids` found, looked up one by one: an _id equality is what FerretDB answers from its index. */
  async lookUp(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < ids.length && !failed) {
        const id = ids[next++] as string;
        try {
          const stored = await this.collection.findOne({ _id: id } as Filter<T>, { projection: { [this.hashField]: 1 } });
          if (stored) found.set(id, String(stored[this.hashField]));
        } catch (error) {
          // The others stop too: the writer is about to give up and let the next one in.
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, ids.length) }, worker));
    return found;
  }

  /**
   * Whether the collection holds anything, and roughly how much. Not `count`: FerretDB answers
   * it by decoding every document; `$collStats` sums the storage's pages instead (one document
   * per shard on sharded MongoDB). A server or role that refuses `$collStats` gets no lookups:
   * the whole read, which needs nothing but `find`.
   */
  private async firstLook(): Promise<Knowledge> {
    if ((await this.collection.findOne({}, { projection: { _id: 1 } })) === null) return { mode: 'started-empty' };
    const stats = await this.collection.aggregate<{ count?: number }>([{ $collStats: { count: {} } }]).toArray().catch(() => []);
    const stored = stats.reduce((sum, shard) => sum + Number(shard.count ?? 0), 0);
    return { mode: 'lookup', lookupsLeft: this.lookupsOnly ? Number.POSITIVE_INFINITY : lookupBudget(stored) };
  }
}
