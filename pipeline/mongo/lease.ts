import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoServerError, type Db } from 'mongodb';
import { UserError } from '../errors/user-error.js';
import { processAlive } from '../system/processes.js';

export const LEASES_COLLECTION = 'leases';

export interface LeaseHolder {
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** The holder's own clock, for people reading the lease; nothing decides by it. */
  readonly since: Date;
}

interface LeaseDocument {
  readonly _id: string;
  readonly holder: LeaseHolder;
  /** Incremented by the holder while it lives. */
  readonly beat: number;
}

export interface LeaseOptions {
  /** A holder whose beat does not move for this long is taken to be dead. */
  readonly ttlMs?: number;
  /** Wait for the holder to finish instead of refusing. */
  readonly wait?: boolean;
  readonly command: string;
  readonly signal?: AbortSignal;
  readonly onWaiting?: (holder: LeaseHolder) => void;
}

export class LeaseHeldError extends UserError {}

const DUPLICATE_KEY = 11000;

/** The holder ids of the leases this process holds now. */
const liveHere = new Set<string>();

function describe(name: string, holder: LeaseHolder): string {
  return `${name} is held by \`${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.since.toISOString()})`;
}

/**
 * One holder at a time, across processes and hosts, in MongoDB. Liveness is judged without
 * comparing clocks: the holder increments a counter every ttl/5, and a contender that sees the
 * counter stand still for a whole ttl on its own clock takes the lease over (at once when the
 * holder ran on this host and its process is gone). A holder that finds its lease taken stops:
 * `assertHeld` throws.
 */
export class Lease {
  private lost = false;
  private readonly timer: NodeJS.Timeout;
  /** The beat under way, if any: beats never overlap, and release waits for the last one. */
  private beating: Promise<void> | undefined;

  private constructor(
    private readonly db: Db,
    readonly name: string,
    readonly holder: LeaseHolder,
    ttlMs: number,
  ) {
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(ttlMs / 5)));
    this.timer.unref();
    liveHere.add(holder.id);
  }

  static async acquire(db: Db, name: string, options: LeaseOptions): Promise<Lease> {
    const ttlMs = options.ttlMs ?? 5000;
    const holder: LeaseHolder = { id: randomUUID(), pid: process.pid, host: hostname(), command: options.command, since: new Date() };
    const leases = db.collection<LeaseDocument>(LEASES_COLLECTION);
    let announced: string | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        await leases.insertOne({ _id: name, holder, beat: 0 });
        return new Lease(db, name, holder, ttlMs);
      } catch (error) {
        if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
      }
      const seen = await leases.findOne({ _id: name });
      if (seen === null) continue;
      const local = seen.holder.host === holder.host;
      const ownedHere = local && seen.holder.pid === process.pid;
      let dead = local && (ownedHere ? !liveHere.has(seen.holder.id) : !processAlive(seen.holder.pid));
      if (!dead) {
        // Watch the beat for a ttl, and stop watching as soon as it moves.
        const deadline = performance.now() + ttlMs;
        let moved = false;
        while (!moved && performance.now() < deadline) {
          await sleep(Math.min(ttlMs / 10, 200), undefined, { signal: options.signal });
          const now = await leases.findOne({ _id: name });
          moved = now === null || now.holder.id !== seen.holder.id || now.beat !== seen.beat;
        }
        dead = !moved;
      }
      if (dead) {
        const taken = await leases.updateOne({ _id: name, 'holder.id': seen.holder.id, beat: seen.beat }, { $set: { holder, beat: 0 } });
        if (taken.matchedCount === 1) return new Lease(db, name, holder, ttlMs);
        continue;
      }
      if (options.wait !== true) throw new LeaseHeldError(`${describe(name, seen.holder)}; stop it first, or wait with --wait`);
      if (announced !== seen.holder.id) options.onWaiting?.(seen.holder);
      announced = seen.holder.id;
    }
  }

  private beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /**
   * FerretDB applies an update as read, modify and write back by _id, so a beat that overlapped
   * a release could write the old holder back over the next one's lease.
   */
  private async beatOnce(): Promise<void> {
    if (this.lost) return;
    try {
      const result = await this.db.collection<LeaseDocument>(LEASES_COLLECTION).updateOne({ _id: this.name, 'holder.id': this.holder.id }, { $inc: { beat: 1 } });
      if (result.matchedCount === 0) {
        this.lost = true;
        liveHere.delete(this.holder.id);
      }
    } catch {
      // A missed beat is only a delay; the next one tries again.
    }
  }

  /** Throws when another holder has taken the lease: the caller must stop writing. */
  async assertHeld(): Promise<void> {
    if (!this.lost) await this.beat();
    if (this.lost) throw new UserError(`lost ${this.name} to another process (it saw this one as dead); stopping`);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    liveHere.delete(this.holder.id);
    if (this.lost) return;
    await this.db.collection<LeaseDocument>(LEASES_COLLECTION).deleteOne({ _id: this.name, 'holder.id': this.holder.id });
  }
}
