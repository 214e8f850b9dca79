/**
 * ClickHouse's own block compression on the HTTP interface: with `compress=1` the response, with
 * `decompress=1` the request body, is a sequence of frames, each a CityHash128 of the rest of the
 * frame, a method byte, the frame's compressed size (header included), its raw size, then the
 * compressed data. The JDBC driver asks for responses in it by default and checks every checksum;
 * clickhouse-go uses it both ways when set to LZ4.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { cityHash128 } from './cityhash102.js';
import { exception } from './exceptions.js';

/** ClickHouse's CompressionMethodByte values. */
const LZ4 = 0x82;
const NONE = 0x02;
const ZSTD = 0x90;
const CHECKSUM = 16;
const HEADER = 9;
/** A frame larger than this is refused rather than buffered (ClickHouse's own limit is 1 GiB). */
const MAX_FRAME = 1 << 30;
/** ClickHouse's max_compress_block_size default: frames hold at most this much raw data. */
const MAX_RAW_FRAME = 1 << 20;

/**
 * One LZ4 block holding `raw` as a single run of literals. Valid LZ4 that every decoder reads;
 * it does not shrink the data, which is not the point on a loopback connection: the frames are.
 */
function lz4Literals(raw: Buffer): Buffer {
  const lengthBytes: number[] = [];
  if (raw.length >= 15) {
    let rest = raw.length - 15;
    while (rest >= 255) {
      lengthBytes.push(255);
      rest -= 255;
    }
    lengthBytes.push(rest);
  }
  const token = Math.min(raw.length, 15) << 4;
  return Buffer.concat([Buffer.from([token, ...lengthBytes]), raw]);
}

function frame(raw: Buffer): Buffer {
  const payload = lz4Literals(raw);
  const body = Buffer.alloc(HEADER + payload.length);
  body[0] = LZ4;
  body.writeUInt32LE(HEADER + payload.length, 1);
  body.writeUInt32LE(raw.length, 5);
  payload.copy(body, HEADER);
  const [low, high] = cityHash128(body);
  const checksum = Buffer.alloc(16);
  checksum.writeBigUInt64LE(low, 0);
  checksum.writeBigUInt64LE(high, 8);
  return Buffer.concat([checksum, body]);
}

/** `data` in compressed frames of at most 1 MiB of raw data each; nothing for no data, as the server writes. */
export function compressedFrames(data: Uint8Array): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const frames: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += MAX_RAW_FRAME) frames.push(frame(bytes.subarray(offset, offset + MAX_RAW_FRAME)));
  return Buffer.concat(frames);
}

/** Decodes one LZ4 block of `rawSize` bytes (the LZ4 block format: sequences of literals and back-references). */
export function lz4Decompress(source: Buffer, rawSize: number): Buffer {
  const output = Buffer.alloc(rawSize);
  let input = 0;
  let written = 0;
  const corrupt = (why: string) => exception('CANNOT_DECOMPRESS', `Cannot decompress LZ4-encoded data: ${why}`);
  const length = (initial: number): number => {
    let total = initial;
    if (initial !== 15) return total;
    for (;;) {
      if (input >= source.length) throw corrupt('a length runs past the end of the block');
      const more = source[input++] ?? 0;
      total += more;
      if (more !== 255) return total;
    }
  };
  while (input < source.length) {
    const token = source[input++] ?? 0;
    const literals = length(token >> 4);
    if (input + literals > source.length || written + literals > rawSize) throw corrupt('literals run past the end of the block');
    source.copy(output, written, input, input + literals);
    input += literals;
    written += literals;
    if (input >= source.length) break;
    if (input + 2 > source.length) throw corrupt('a match offset runs past the end of the block');
    const offset = source.readUInt16LE(input);
    input += 2;
    if (offset === 0 || offset > written) throw corrupt(`a match refers to offset ${offset} before the start of the data`);
    const matchLength = length(token & 15) + 4;
    if (written + matchLength > rawSize) throw corrupt('a match runs past the declared size');
    // Byte by byte: a match may overlap the bytes it is producing.
    for (let i = 0; i < matchLength; i++, written++) output[written] = output[written - offset] ?? 0;
  }
  if (written !== rawSize) throw corrupt(`the block holds ${written} bytes, its header says ${rawSize}`);
  return output;
}

/** The raw data of a request body sent in compressed frames (`decompress=1`), each frame's checksum checked. */
export class CompressedFramesDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      for (;;) {
        if (this.pending.length < CHECKSUM + HEADER) break;
        const sizeWithHeader = this.pending.readUInt32LE(CHECKSUM + 1);
        if (sizeWithHeader < HEADER || sizeWithHeader > MAX_FRAME) throw exception('CANNOT_DECOMPRESS', `Cannot decompress: a frame of ${sizeWithHeader} bytes`);
        if (this.pending.length < CHECKSUM + sizeWithHeader) break;
        const body = this.pending.subarray(CHECKSUM, CHECKSUM + sizeWithHeader);
        this.push(rawOf(this.pending.subarray(0, CHECKSUM), body));
        this.pending = this.pending.subarray(CHECKSUM + sizeWithHeader);
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.pending.length === 0 ? undefined : exception('CANNOT_DECOMPRESS', `Cannot decompress: the body ends inside a frame (${this.pending.length} bytes left)`));
  }
}

function rawOf(checksum: Buffer, body: Buffer): Buffer {
  const [low, high] = cityHash128(body);
  if (checksum.readBigUInt64LE(0) !== low || checksum.readBigUInt64LE(8) !== high) {
    throw exception('CHECKSUM_DOESNT_MATCH', 'Checksum doesn\'t match: corrupted data in a compressed frame of the request body');
  }
  const method = body[0];
  const rawSize = body.readUInt32LE(5);
  const data = body.subarray(HEADER);
  if (method === LZ4) return lz4Decompress(data, rawSize);
  if (method === NONE) {
    if (data.length !== rawSize) throw exception('CANNOT_DECOMPRESS', `Cannot decompress: an uncompressed frame holds ${data.length} bytes, its header says ${rawSize}`);
    return Buffer.from(data);
  }
  const name = method === ZSTD ? 'ZSTD (0x90)' : `0x${(method ?? 0).toString(16)}`;
  throw exception('UNKNOWN_COMPRESSION_METHOD', `Unknown compression method ${name} in a request frame; this server decodes LZ4 (0x82) and NONE (0x02)`);
}
