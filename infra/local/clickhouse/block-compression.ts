/**
 * ClickHouse's own block compression on the HTTP interface (`compress=1`): the response is a
 * sequence of frames, each a CityHash128 of the rest of the frame, a method byte, the frame's
 * compressed size (header included), its raw size, then the compressed data. The JDBC driver asks
 * for it by default and checks every checksum.
 */
import { cityHash128 } from './cityhash102.js';

/** ClickHouse's CompressionMethodByte for LZ4. */
const LZ4 = 0x82;
const HEADER = 9;
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
