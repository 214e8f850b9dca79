import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { CompressedFramesDecoder, compressedFrames, lz4Decompress } from '../../infra/local/clickhouse/block-compression.js';
import { cityHash128 } from '../../infra/local/clickhouse/cityhash102.js';

/** Bytes i*31+7 (mod 256), the input the reference values below were computed for. */
const input = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff));

/**
 * CityHash128 v1.0.2 of those inputs as the JDBC driver computes it (com.clickhouse.data.ClickHouseCityHash,
 * 0.10.0, the code that checks a server's frames), at every length where the algorithm changes path:
 * under 8, 8–15, 16–127 (CityMurmur), 128 and over, with and without a tail.
 */
const REFERENCE: readonly [number, string, string][] = [
  [0, '3df09dfc64c09a2b', '3cb540c392e51e29'], [1, '8be55b379cce0e40', '5ab4744478b1cba'], [3, 'e407deda7bb0f294', 'a3a0d146e27f1bd'],
  [4, '905dcb2063ae124f', '57fd5b5954a593c5'], [7, 'd7ba2459ab7c2913', '53dd430b513ca460'], [8, 'f5a4ca47208136a0', '3dd4575b3d46e5ab'],
  [9, '338434c54a2565e1', '1001bbb07bd33771'], [15, 'd956065c63d9ab15', '9623caadd0037b73'], [16, '3f3a3275564b7f48', 'b48a2a7a16bac60b'],
  [17, 'aee34bf68bb2e0a2', 'e0d6910555f00b87'], [31, '9b7f93e5ecfaed63', 'd646e40154fb0d6b'], [32, '250e8c8007bfad61', 'e42486b6776ae8db'],
  [127, 'c244dc8a06ce8c41', 'f30e2cf6b33629a6'], [128, 'ba863c0c70f32346', '24b156fc6f3c170a'], [129, '238598064c8ee2f1', '6c89b9263ef7410b'],
  [143, '59abee69ce16e6a3', '83e91d7a8903bfbe'], [144, '2ca82631884c46a7', '71edb8d50338bb1f'], [200, '67b5c9a4f885f24b', 'b4a0f54a58082487'],
  [255, 'c87d0f456f6a514b', 'f35b13ec94eb8a52'], [256, 'b1cfa883f958dcfa', '39f0dfb3be182292'], [1000, '597ff4957972ad7e', '7f39a4abd7c010e1'],
  [4096, '1bd11ecfd108678f', '723d5024904233bb'],
];

describe('ClickHouse block compression (compress=1)', () => {
  it.each(REFERENCE)('hashes %i bytes as CityHash128 v1.0.2 does', (length, low, high) => {
    const [gotLow, gotHigh] = cityHash128(input(length));
    expect([gotLow.toString(16), gotHigh.toString(16)]).toEqual([low, high]);
  });

  it('frames data in blocks of at most 1 MiB, each with its checksum, method 0x82 and both sizes', () => {
    const data = input((1 << 20) + 5000);
    const framed = compressedFrames(data);
    const raw: Buffer[] = [];
    for (let offset = 0; offset < framed.length; ) {
      const sizeWithHeader = framed.readUInt32LE(offset + 17);
      const body = framed.subarray(offset + 16, offset + 16 + sizeWithHeader);
      const [low, high] = cityHash128(body);
      expect([framed.readBigUInt64LE(offset), framed.readBigUInt64LE(offset + 8)]).toEqual([low, high]);
      expect(body[0]).toBe(0x82);
      const rawSize = body.readUInt32LE(5);
      // A single LZ4 sequence of literals: token 0xF0, the length past 15 in 255s and a remainder, then the bytes.
      let position = 9;
      expect(body[position]).toBe(0xf0);
      position += 1;
      let length = 15;
      for (;;) {
        const more = body[position] ?? 0;
        position += 1;
        length += more;
        if (more !== 255) break;
      }
      expect(length).toBe(rawSize);
      raw.push(body.subarray(position));
      offset += 16 + sizeWithHeader;
    }
    expect(raw.map((part) => part.length)).toEqual([1 << 20, 5000]);
    expect(Buffer.concat(raw).equals(data)).toBe(true);
    expect(compressedFrames(Buffer.alloc(0)).length).toBe(0);
  });
});

/** A frame as a client writes one: checksum, method, sizes, data. */
function frameOf(method: number, data: Buffer, rawSize: number): Buffer {
  const body = Buffer.concat([Buffer.from([method]), Buffer.alloc(8), data]);
  body.writeUInt32LE(body.length, 1);
  body.writeUInt32LE(rawSize, 5);
  const [low, high] = cityHash128(body);
  const checksum = Buffer.alloc(16);
  checksum.writeBigUInt64LE(low, 0);
  checksum.writeBigUInt64LE(high, 8);
  return Buffer.concat([checksum, body]);
}

/** Decodes `frames` fed in pieces of `piece` bytes, as a request body arrives. */
const decode = (frames: Buffer, piece: number) => {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < frames.length; offset += piece) pieces.push(frames.subarray(offset, offset + piece));
  return buffer(Readable.from(pieces).pipe(new CompressedFramesDecoder()));
};

describe('ClickHouse block compression of request bodies (decompress=1)', () => {
  // "abc", then a match 3 back of 9 bytes (overlapping what it writes), then "XYZWV": the LZ4 block format's two parts.
  const lz4Block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x50, 0x58, 0x59, 0x5a, 0x57, 0x56]);
  const lz4Text = 'abcabcabcabcXYZWV';

  it('decodes LZ4 literals and overlapping matches', () => {
    expect(lz4Decompress(lz4Block, lz4Text.length).toString()).toBe(lz4Text);
    expect(() => lz4Decompress(lz4Block, lz4Text.length + 1)).toThrow(/header says 18/);
    expect(() => lz4Decompress(Buffer.from([0x15, 0x61, 0x09, 0x00]), 10)).toThrow(/offset 9 before the start/);
  });

  it('reads frames split anywhere, LZ4 and uncompressed, and what the response side writes', async () => {
    const frames = Buffer.concat([frameOf(0x82, lz4Block, lz4Text.length), frameOf(0x02, Buffer.from('-plain-'), 7), compressedFrames(input(3000))]);
    const expected = Buffer.concat([Buffer.from(`${lz4Text}-plain-`), input(3000)]);
    for (const piece of [1, 7, 25, frames.length]) expect((await decode(frames, piece)).equals(expected)).toBe(true);
  });

  it('refuses a wrong checksum, an unknown method and a body that ends inside a frame, naming each', async () => {
    const corrupted = frameOf(0x82, lz4Block, lz4Text.length);
    corrupted.writeUInt8(corrupted.readUInt8(corrupted.length - 1) ^ 1, corrupted.length - 1);
    await expect(decode(corrupted, 64)).rejects.toMatchObject({ codeName: 'CHECKSUM_DOESNT_MATCH' });
    await expect(decode(frameOf(0x90, Buffer.from('zstd'), 4), 64)).rejects.toMatchObject({ codeName: 'UNKNOWN_COMPRESSION_METHOD', message: /ZSTD \(0x90\)/ });
    const whole = frameOf(0x82, lz4Block, lz4Text.length);
    await expect(decode(whole.subarray(0, whole.length - 3), 64)).rejects.toMatchObject({ codeName: 'CANNOT_DECOMPRESS', message: /ends inside a frame/ });
  });
});
