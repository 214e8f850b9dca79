import { isUtf8 } from 'node:buffer';
import type { BinaryRows } from '../clickhouse/clickhouse.js';
import { ENTITIES } from '../entities/entities.js';
import { RAW_DATABASE } from './raw-tables.js';

/** The role of the dead-letter topic; an entity topic's role is its entity. */
export const DEAD_LETTER_ROLE = 'dead_letter';
/** What a topic carries, each with a landing table of its own. */
export const LANDING_ROLES: readonly string[] = [...ENTITIES, DEAD_LETTER_ROLE];

/**
 * A role's landing table (sql/013): ClickHouse's views parse each message from here into RAW.
 * One per role, so that an insert plans only its role's views (an insert into one table for all
 * planned all five roles' views, a third of a small insert's time).
 */
export const landingTable = (role: string): string => `${RAW_DATABASE}.${role}_landing`;
export const LANDING_COLUMNS = ['kafka_topic', 'kafka_partition', 'kafka_offset', 'kafka_key', 'kafka_timestamp', 'payload'] as const;

/** One Kafka message as the ingest lands it. */
export interface LandedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Milliseconds since the epoch, as kafkajs gives it. */
  readonly timestamp: string;
}

/** Writes the messages' landing rows as RowBinary, growing one buffer as it goes. */
class RowBinaryWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** A String: its byte length as an unsigned LEB128, then the bytes. */
  bytes(value: Uint8Array): void {
    this.room(value.length + 5);
    let size = value.length;
    while (size >= 0x80) {
      this.buffer[this.length++] = (size & 0x7f) | 0x80;
      size >>>= 7;
    }
    this.buffer[this.length++] = size;
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  uint32(value: number): void {
    this.room(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }

  /** UInt64 and DateTime64(3) alike: eight bytes, little-endian. */
  int64(value: bigint): void {
    this.room(8);
    this.length = this.buffer.writeBigInt64LE(value, this.length);
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

const EMPTY = Buffer.alloc(0);
const BACKSLASH = 0x5c;
const REPLACEMENT = Buffer.from('\\ufffd');

const hexValue = (byte: number | undefined): number => {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
};

/** The UTF-16 code unit of a `\uXXXX` escape at `at` (which holds the backslash), or -1. */
function escapedUnit(value: Buffer, at: number): number {
  if (value[at + 1] !== 0x75) return -1;
  let unit = 0;
  for (let digit = 2; digit < 6; digit += 1) {
    const nibble = hexValue(value[at + digit]);
    if (nibble < 0) return -1;
    unit = unit * 16 + nibble;
  }
  return unit;
}

/**
 * The payload with each escaped half of a surrogate pair that stands alone (`"\ud800"`) written
 * as `\ufffd`, the replacement character: JSON's grammar allows such an escape, but UTF-8
 * cannot hold it and ClickHouse refuses to parse the payload, while the rest of the message may
 * well be good. The escape and its replacement have the same length, so nothing else moves.
 * Payloads without a `\uD…` escape (all but hostile ones) are returned as they are.
 */
export function withLoneSurrogatesReplaced(value: Buffer): Buffer {
  if (value.indexOf('\\ud') === -1 && value.indexOf('\\uD') === -1) return value;
  let fixed: Buffer | undefined;
  for (let at = value.indexOf(BACKSLASH); at !== -1 && at < value.length; at = value.indexOf(BACKSLASH, at)) {
    const unit = escapedUnit(value, at);
    if (unit < 0) {
      // Another escape (\\, \", \n…): its second character is never the start of one.
      at += 2;
      continue;
    }
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const low = unit >= 0xdc00 && unit <= 0xdfff;
    if (high && value[at + 6] === BACKSLASH) {
      const next = escapedUnit(value, at + 6);
      if (next >= 0xdc00 && next <= 0xdfff) {
        at += 12;
        continue;
      }
    }
    if (high || low) {
      fixed ??= Buffer.from(value);
      REPLACEMENT.copy(fixed, at);
    }
    at += 6;
  }
  return fixed ?? value;
}

/** One insert of a flush: a role's messages into its landing table. */
export interface LandingInsert {
  readonly table: string;
  readonly rows: BinaryRows;
}

/** The inserts that land messages: one per role they hold, in LANDING_ROLES order, each role's messages in the order given. */
export function landingInserts(messages: readonly LandedMessage[], roleOf: (topic: string) => string): LandingInsert[] {
  const byRole = new Map<string, LandedMessage[]>(LANDING_ROLES.map((role) => [role, []]));
  for (const message of messages) {
    const role = roleOf(message.topic);
    const ofRole = byRole.get(role);
    if (ofRole === undefined) throw new Error(`no landing table for topic ${message.topic} (role '${role}')`);
    ofRole.push(message);
  }
  return [...byRole].filter(([, ofRole]) => ofRole.length > 0).map(([role, ofRole]) => ({ table: landingTable(role), rows: landingRows(ofRole) }));
}

/**
 * The landing rows of messages, in the order given: each message's value as received (nothing
 * here parses or escapes it; only a lone surrogate escape is replaced, see above), with its
 * topic, partition, offset, key and timestamp. A key that is not UTF-8 is written as the text
 * JavaScript reads from it (U+FFFD for each bad sequence), as RAW's `kafka_key` is text.
 */
export function landingRows(messages: readonly LandedMessage[]): BinaryRows {
  const writer = new RowBinaryWriter();
  const names = new Map<string, Buffer>();
  const text = (value: string) => {
    let encoded = names.get(value);
    if (encoded === undefined) names.set(value, (encoded = Buffer.from(value)));
    return encoded;
  };
  for (const message of messages) {
    writer.bytes(text(message.topic));
    writer.uint32(message.partition);
    writer.int64(BigInt(message.offset));
    const key = message.key ?? EMPTY;
    writer.bytes(isUtf8(key) ? key : Buffer.from(key.toString('utf8')));
    writer.int64(BigInt(message.timestamp));
    writer.bytes(withLoneSurrogatesReplaced(message.value ?? EMPTY));
  }
  return { columns: LANDING_COLUMNS, body: writer.result() };
}
