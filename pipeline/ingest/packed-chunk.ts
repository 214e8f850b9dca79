import type { KafkaRecord } from './decode.js';

/**
 * Messages of one partition packed for another thread: keys and values copied into one buffer
 * each, which is transferred rather than cloned (kafkajs's buffers are views into a whole
 * fetch response, which cloning would copy once per message).
 */
export interface PackedChunk {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: readonly string[];
  readonly timestamps: readonly string[];
  readonly keys: Uint8Array;
  /** Each key's end in `keys`, or -1 for a message without a key. */
  readonly keyEnds: Int32Array;
  readonly values: Uint8Array;
  readonly valueEnds: Int32Array;
}

interface Message {
  readonly offset: string;
  readonly timestamp: string;
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
}

function pack(parts: readonly (Buffer | null)[]): { bytes: Uint8Array; ends: Int32Array } {
  let total = 0;
  for (const part of parts) total += part?.length ?? 0;
  const bytes = new Uint8Array(total);
  const ends = new Int32Array(parts.length);
  let at = 0;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    if (part === null || part === undefined) {
      ends[index] = -1;
      continue;
    }
    bytes.set(part, at);
    at += part.length;
    ends[index] = at;
  }
  return { bytes, ends };
}

export function packChunk(topic: string, partition: number, messages: readonly Message[]): { chunk: PackedChunk; transfer: ArrayBuffer[] } {
  const keys = pack(messages.map(({ key }) => key ?? null));
  const values = pack(messages.map(({ value }) => value));
  const chunk: PackedChunk = {
    topic,
    partition,
    offsets: messages.map(({ offset }) => offset),
    timestamps: messages.map(({ timestamp }) => timestamp),
    keys: keys.bytes,
    keyEnds: keys.ends,
    values: values.bytes,
    valueEnds: values.ends,
  };
  return { chunk, transfer: [keys.bytes.buffer as ArrayBuffer, values.bytes.buffer as ArrayBuffer] };
}

function slices(bytes: Uint8Array, ends: Int32Array): (Buffer | null)[] {
  const parts: (Buffer | null)[] = [];
  let start = 0;
  for (const end of ends) {
    if (end < 0) {
      parts.push(null);
      continue;
    }
    parts.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start));
    start = end;
  }
  return parts;
}

/** The chunk's messages again, as the decoder reads them. */
export function recordsOf(chunk: PackedChunk): KafkaRecord[] {
  const keys = slices(chunk.keys, chunk.keyEnds);
  const values = slices(chunk.values, chunk.valueEnds);
  return chunk.offsets.map((offset, index) => ({ topic: chunk.topic, partition: chunk.partition, offset, timestamp: chunk.timestamps[index] ?? '', key: keys[index] ?? null, value: values[index] ?? null }));
}
