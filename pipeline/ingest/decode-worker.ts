import { parentPort, workerData } from 'node:worker_threads';
import { decode, type Decoded, type TopicRoles } from './decode.js';
import { recordsOf, type PackedChunk } from './packed-chunk.js';

/** The decoding thread: chunks of one partition's messages in, their decoded rows out, in the order asked. */
const roles = (workerData as { roles: TopicRoles }).roles;
parentPort?.on('message', ({ id, chunk }: { id: number; chunk: PackedChunk }) => {
  const decoded: Decoded[] = [];
  for (const record of recordsOf(chunk)) decoded.push(decode(record, roles));
  parentPort?.postMessage({ id, decoded });
});
