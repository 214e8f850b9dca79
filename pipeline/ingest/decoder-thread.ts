import { Worker } from 'node:worker_threads';
import type { Decoded, TopicRoles } from './decode.js';
import { packChunk } from './packed-chunk.js';

/**
 * Run from the sources (tests, `npm run`), the thread registers tsx itself before it loads the
 * worker module: Node 20 does not apply loader flags given to a worker.
 */
function fromSource(roles: TopicRoles): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL('./decode-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module)}); });`, { eval: true, execArgv: [], workerData: { roles } });
}

interface Pending {
  resolve(decoded: Decoded[]): void;
  reject(error: Error): void;
}

/**
 * Decoding on a thread of its own: parsing and typing the messages is most of the ingest's
 * work, and on the main thread it would wait while kafkajs fetches and flushes are handled,
 * and they while it runs. The thread returns each message's rows as JSON text, which is cheap
 * to pass back (objects are not: cloning them costs as much as decoding them).
 */
export class DecoderThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(roles: TopicRoles) {
    this.worker = import.meta.url.endsWith('.ts') ? fromSource(roles) : new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: { roles } });
    this.worker.unref();
    this.worker.on('message', ({ id, decoded }: { id: number; decoded: Decoded[] }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      waiting?.resolve(decoded);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the decoding thread stopped (exit code ${code})`)));
  }

  /** The rows of one partition's messages, in their order. */
  decode(topic: string, partition: number, messages: Parameters<typeof packChunk>[2]): Promise<Decoded[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = (this.nextId += 1);
    const { chunk, transfer } = packChunk(topic, partition, messages);
    return new Promise<Decoded[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, chunk }, transfer);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the decoding thread was closed');
    await this.worker.terminate();
  }
}
