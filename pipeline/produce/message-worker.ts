import { parentPort, workerData } from 'node:worker_threads';
import { BSON } from 'mongodb';
import { keyringOf } from '../pii/keys.js';
import { toMessage } from './message.js';
import type { BuildReply, BuildRequest, WorkerKeyring } from './message-builder.js';

/**
 * The producer's second thread: decodes stored documents, validates and protects them, and
 * serialises the messages, while the main thread reads the outbox and talks to the broker.
 */
const data = workerData as WorkerKeyring;
const keyring = keyringOf(data.keys.map(({ id, key }) => ({ id, key: Buffer.from(key) })), Buffer.from(data.indexKey));
const port = parentPort;
if (port === null) throw new Error('message-worker.ts runs as a worker thread only');

port.on('message', (request: BuildRequest) => {
  try {
    const bytes = new Uint8Array(request.bytes);
    const keys: string[] = [];
    const dead: boolean[] = [];
    const values: Buffer[] = [];
    let start = 0;
    for (const end of request.ends) {
      const { message, dead: isDead } = toMessage(request.entity, BSON.deserialize(bytes.subarray(start, end)), keyring, request.now);
      keys.push(String(message.key));
      dead.push(isDead);
      values.push(Buffer.from(message.value as string));
      start = end;
    }
    // A buffer of its own (not from Node's shared pool), so that transferring it moves nothing else.
    const joined = Buffer.allocUnsafeSlow(values.reduce((sum, value) => sum + value.length, 0));
    let at = 0;
    const ends = values.map((value) => (at += value.copy(joined, at)));
    const reply: BuildReply = { id: request.id, keys, dead, values: joined.buffer, ends };
    port.postMessage(reply, [joined.buffer]);
  } catch (error) {
    const reply: BuildReply = { id: request.id, error: (error as Error).message };
    port.postMessage(reply);
  }
});
