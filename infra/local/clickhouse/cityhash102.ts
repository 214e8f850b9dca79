/**
 * CityHash128 as of CityHash 1.0.2, the version ClickHouse froze for the checksum of its
 * compressed blocks (contrib/cityhash102); later CityHash releases hash differently. Clients
 * (the JDBC driver among them) check every block's checksum against it.
 */

const MASK = (1n << 64n) - 1n;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;
const k3 = 0xc949d7c7509e6557n;
const kMul = 0x9ddfea08eb382d69n;

const u64 = (value: bigint): bigint => value & MASK;
const add = (a: bigint, b: bigint): bigint => (a + b) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;

function fetch64(s: Buffer, pos: number): bigint {
  return s.readBigUInt64LE(pos);
}

function fetch32(s: Buffer, pos: number): bigint {
  return BigInt(s.readUInt32LE(pos));
}

function rotate(value: bigint, shift: bigint): bigint {
  return shift === 0n ? value : ((value >> shift) | (value << (64n - shift))) & MASK;
}

const shiftMix = (value: bigint): bigint => value ^ (value >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, kMul);
  a ^= a >> 47n;
  let b = mul(v ^ a, kMul);
  b ^= b >> 47n;
  return mul(b, kMul);
}

function hashLen0to16(s: Buffer, pos: number, len: number): bigint {
  if (len > 8) {
    const a = fetch64(s, pos);
    const b = fetch64(s, pos + len - 8);
    return hashLen16(a, rotate(add(b, BigInt(len)), BigInt(len))) ^ b;
  }
  if (len >= 4) {
    const a = fetch32(s, pos);
    return hashLen16(u64((a << 3n) + BigInt(len)), fetch32(s, pos + len - 4));
  }
  if (len > 0) {
    const a = BigInt(s[pos] ?? 0);
    const b = BigInt(s[pos + (len >> 1)] ?? 0);
    const c = BigInt(s[pos + len - 1] ?? 0);
    const y = a + (b << 8n);
    const z = BigInt(len) + (c << 2n);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2);
  }
  return k2;
}

function weakHashLen32WithSeeds(s: Buffer, pos: number, seedA: bigint, seedB: bigint): [bigint, bigint] {
  const w = fetch64(s, pos);
  const x = fetch64(s, pos + 8);
  const y = fetch64(s, pos + 16);
  const z = fetch64(s, pos + 24);
  let a = add(seedA, w);
  let b = rotate(add(add(seedB, a), z), 21n);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotate(a, 44n));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Buffer, start: number, len: number, seed0: bigint, seed1: bigint): [bigint, bigint] {
  let a = seed0;
  let b = seed1;
  let c: bigint;
  let d: bigint;
  let pos = start;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1);
    c = add(mul(b, k1), hashLen0to16(s, pos, len));
    d = shiftMix(add(a, len >= 8 ? fetch64(s, pos) : c));
  } else {
    c = hashLen16(add(fetch64(s, pos + len - 8), k1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, fetch64(s, pos + len - 16)));
    a = add(a, d);
    do {
      a ^= mul(shiftMix(mul(fetch64(s, pos), k1)), k1);
      a = mul(a, k1);
      b ^= a;
      c ^= mul(shiftMix(mul(fetch64(s, pos + 8), k1)), k1);
      c = mul(c, k1);
      d ^= c;
      pos += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
}

function cityHash128WithSeed(s: Buffer, start: number, length: number, seed0: bigint, seed1: bigint): [bigint, bigint] {
  if (length < 128) return cityMurmur(s, start, length, seed0, seed1);
  let pos = start;
  let len = length;
  let x = seed0;
  let y = seed1;
  let z = mul(k1, BigInt(len));
  const v: [bigint, bigint] = [0n, 0n];
  const w: [bigint, bigint] = [0n, 0n];
  v[0] = add(mul(rotate(y ^ k1, 49n), k1), fetch64(s, pos));
  v[1] = add(mul(rotate(v[0], 42n), k1), fetch64(s, pos + 8));
  w[0] = add(mul(rotate(add(y, z), 35n), k1), x);
  w[1] = mul(rotate(add(x, fetch64(s, pos + 88)), 53n), k1);
  const round = () => {
    x = mul(rotate(add(add(add(x, y), v[0]), fetch64(s, pos + 16)), 37n), k1);
    y = mul(rotate(add(add(y, v[1]), fetch64(s, pos + 48)), 42n), k1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33n);
    [v[0], v[1]] = weakHashLen32WithSeeds(s, pos, mul(v[1], k1), add(x, w[0]));
    [w[0], w[1]] = weakHashLen32WithSeeds(s, pos + 32, add(z, w[1]), y);
    [z, x] = [x, z];
    pos += 64;
  };
  // The same inner loop as CityHash64, two rounds per 128 bytes.
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w[0], 37n), k0), z));
  x = add(x, mul(rotate(add(v[0], z), 49n), k0));
  // Up to four 32-byte chunks from the end of the input.
  for (let tailDone = 0; tailDone < len; ) {
    tailDone += 32;
    y = add(mul(rotate(u64(y - x), 42n), k0), v[1]);
    w[0] = add(w[0], fetch64(s, pos + len - tailDone + 16));
    x = add(mul(rotate(x, 49n), k0), w[0]);
    w[0] = add(w[0], v[0]);
    [v[0], v[1]] = weakHashLen32WithSeeds(s, pos + len - tailDone, v[0], v[1]);
  }
  x = hashLen16(x, v[0]);
  y = hashLen16(y, w[0]);
  return [add(hashLen16(add(x, v[1]), w[1]), y), hashLen16(add(x, w[1]), add(y, v[1]))];
}

/** CityHash128 (v1.0.2) of `data`: the low and high 64 bits, as ClickHouse writes them (low first, little-endian). */
export function cityHash128(data: Buffer): [bigint, bigint] {
  const len = data.length;
  if (len >= 16) return cityHash128WithSeed(data, 16, len - 16, fetch64(data, 0) ^ k3, fetch64(data, 8));
  if (len >= 8) return cityHash128WithSeed(Buffer.alloc(0), 0, 0, fetch64(data, 0) ^ mul(BigInt(len), k0), fetch64(data, len - 8) ^ k1);
  return cityHash128WithSeed(data, 0, len, k0, k1);
}
