import { Worker } from 'node:worker_threads';
import type { Message } from 'kafkajs';
import type { Entity } from '../entities/entities.js';
import type { OutboxEntry } from '../outbox/outbox.js';
import type { PiiKeyring } from '../pii/keys.js';
import { headers } from './message.js';

/** What the worker needs of the keyring, as plain data. */
export interface WorkerKeyring {
  /** The active key first. */
  readonly keys: readonly { readonly id: string; readonly key: Uint8Array }[];
  readonly indexKey: Uint8Array;
}

/** A batch of stored documents, as BSON one after the other; `ends[i]` is where document i ends. */
export interface BuildRequest {
  readonly id: number;
  readonly entity: Entity;
  readonly now: string;
  readonly bytes: ArrayBuffer;
  readonly ends: readonly number[];
}

/** The batch's messages in the same order: keys, whether each is a dead letter, and the values (UTF-8 JSON) one after the other. */
export type BuildReply = { readonly id: number; readonly keys: readonly string[]; readonly dead: readonly boolean[]; readonly values: ArrayBuffer; readonly ends: readonly number[] } | { readonly id: number; readonly error: string };

export interface BuiltMessage {
  readonly message: Message;
  readonly dead: boolean;
}

/**
 * Starts the worker: its compiled code next to this file, or, when this file runs as TypeScript
 * (tsx, the tests), its source through tsx's loader, which a worker has to register itself.
 */
function startWorker(workerData: WorkerKeyring): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./message-worker.js', import.meta.url), { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const source = new URL('./message-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Builds the producer's messages on a worker thread (see toMessage): the protection and the
 * serialisation cost more CPU than reading the outbox, and on the main thread they held up both
 * the reading and the sending. Batches are built in the order they are handed in.
 */
export class MessageBuilder {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (reply: BuildReply) => void; reject: (error: Error) => void }>();

  constructor(private readonly keyring: PiiKeyring) {}

  async build(entity: Entity, entries: readonly OutboxEntry[], now: string): Promise<BuiltMessage[]> {
    if (entries.length === 0) return [];
    const bytes = new Uint8Array(entries.reduce((sum, entry) => sum + entry.bytes.length, 0));
    let at = 0;
    const ends = entries.map((entry) => {
      bytes.set(entry.bytes, at);
      return (at += entry.bytes.length);
    });
    const id = this.#nextId++;
    const request: BuildRequest = { id, entity, now, bytes: bytes.buffer, ends };
    const reply = await new Promise<BuildReply>((resolve, reject) => {
      const worker = this.#started();
      this.#pending.set(id, { resolve, reject });
      // Kept alive while it owes an answer, and only then.
      worker.ref();
      worker.postMessage(request, [bytes.buffer]);
    });
    if ('error' in reply) throw new Error(`building messages failed: ${reply.error}`);
    const values = Buffer.from(reply.values);
    const entityHeaders = headers(entity);
    let start = 0;
    return reply.ends.map((end, index) => {
      const value = values.subarray(start, end);
      start = end;
      return { message: { key: reply.keys[index] ?? '', value, headers: entityHeaders }, dead: reply.dead[index] ?? true };
    });
  }

  /**
   * Starts the worker now rather than at the first batch, so that loading its code overlaps
   * with connecting to the services and reading the first batch. `close()` ends it.
   */
  start(): void {
    this.#started();
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #started(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const keyring: WorkerKeyring = { keys: [this.keyring.active, ...[...this.keyring.byId.values()].filter((key) => key !== this.keyring.active)].map(({ id, key }) => ({ id, key: new Uint8Array(key) })), indexKey: new Uint8Array(this.keyring.indexKey) };
    const worker = startWorker(keyring);
    // Referenced only while it owes an answer (see build).
    worker.unref();
    worker.on('message', (reply: BuildReply) => {
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      // An idle worker never keeps the process alive.
      if (this.#pending.size === 0) worker.unref();
      waiting?.resolve(reply);
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
    worker.on('error', (error) => failAll(new Error(`the message worker failed: ${error.message}`)));
    worker.on('exit', (code) => failAll(new Error(`the message worker exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}
