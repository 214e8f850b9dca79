/**
 * CityHash128 as of CityHash 1.0.2, the version ClickHouse froze for the checksum of its
 * compressed blocks (contrib/cityhash102); later CityHash releases hash differently. Clients
 * (the JDBC driver among them) check every block's checksum against it.
 *
 * 64-bit words are pairs of unsigned 32-bit halves: JavaScript's BigInt allocates on every
 * operation and was several times slower.
 */

interface U64 {
  readonly hi: number;
  readonly lo: number;
}

const TWO_32 = 0x1_0000_0000;
const word = (hi: number, lo: number): U64 => ({ hi: hi >>> 0, lo: lo >>> 0 });
const ofBig = (value: bigint): U64 => word(Number(value >> 32n), Number(value & 0xffffffffn));
const ofNumber = (value: number): U64 => word(Math.floor(value / TWO_32), value % TWO_32);
const toBig = (value: U64): bigint => (BigInt(value.hi) << 32n) | BigInt(value.lo);

const k0 = ofBig(0xc3a5c85c97cb3127n);
const k1 = ofBig(0xb492b66fbe98f273n);
const k2 = ofBig(0x9ae16a3b2f90404fn);
const k3 = ofBig(0xc949d7c7509e6557n);
const kMul = ofBig(0x9ddfea08eb382d69n);

function add(a: U64, b: U64): U64 {
  const lo = a.lo + b.lo;
  return word(a.hi + b.hi + (lo >= TWO_32 ? 1 : 0), lo);
}

function sub(a: U64, b: U64): U64 {
  const lo = a.lo - b.lo;
  return word(a.hi - b.hi - (lo < 0 ? 1 : 0), lo);
}

const xor = (a: U64, b: U64): U64 => word(a.hi ^ b.hi, a.lo ^ b.lo);

/** The low 64 bits of a × b: the 32×32 → 64-bit product of the low halves in 16-bit pieces, the cross terms mod 2^32. */
function mul(a: U64, b: U64): U64 {
  const a0 = a.lo & 0xffff;
  const a1 = a.lo >>> 16;
  const b0 = b.lo & 0xffff;
  const b1 = b.lo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = ((mid & 0xffff) * 0x10000 + (p00 & 0xffff)) >>> 0;
  const hiOfLow = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  return word(hiOfLow + Math.imul(a.hi, b.lo) + Math.imul(a.lo, b.hi), lo);
}

function shiftRight(a: U64, n: number): U64 {
  if (n === 0) return a;
  if (n >= 32) return word(0, a.hi >>> (n - 32));
  return word(a.hi >>> n, (a.lo >>> n) | (a.hi << (32 - n)));
}

function shiftLeft(a: U64, n: number): U64 {
  if (n === 0) return a;
  if (n >= 32) return word(a.lo << (n - 32), 0);
  return word((a.hi << n) | (a.lo >>> (32 - n)), a.lo << n);
}

function rotate(a: U64, shift: number): U64 {
  if (shift === 0) return a;
  const right = shiftRight(a, shift);
  const left = shiftLeft(a, 64 - shift);
  return word(right.hi | left.hi, right.lo | left.lo);
}

const shiftMix = (value: U64): U64 => xor(value, shiftRight(value, 47));

const fetch64 = (s: Buffer, pos: number): U64 => word(s.readUInt32LE(pos + 4), s.readUInt32LE(pos));
const fetch32 = (s: Buffer, pos: number): U64 => word(0, s.readUInt32LE(pos));

function hashLen16(u: U64, v: U64): U64 {
  let a = mul(xor(u, v), kMul);
  a = xor(a, shiftRight(a, 47));
  let b = mul(xor(v, a), kMul);
  b = xor(b, shiftRight(b, 47));
  return mul(b, kMul);
}

function hashLen0to16(s: Buffer, pos: number, len: number): U64 {
  if (len > 8) {
    const a = fetch64(s, pos);
    const b = fetch64(s, pos + len - 8);
    return xor(hashLen16(a, rotate(add(b, ofNumber(len)), len)), b);
  }
  if (len >= 4) {
    const a = fetch32(s, pos);
    return hashLen16(add(shiftLeft(a, 3), ofNumber(len)), fetch32(s, pos + len - 4));
  }
  if (len > 0) {
    const a = s[pos] ?? 0;
    const b = s[pos + (len >> 1)] ?? 0;
    const c = s[pos + len - 1] ?? 0;
    const y = ofNumber(a + b * 256);
    const z = ofNumber(len + c * 4);
    return mul(shiftMix(xor(mul(y, k2), mul(z, k3))), k2);
  }
  return k2;
}

function weakHashLen32WithSeeds(s: Buffer, pos: number, seedA: U64, seedB: U64): [U64, U64] {
  const w = fetch64(s, pos);
  const x = fetch64(s, pos + 8);
  const y = fetch64(s, pos + 16);
  const z = fetch64(s, pos + 24);
  let a = add(seedA, w);
  let b = rotate(add(add(seedB, a), z), 21);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Buffer, start: number, len: number, seed0: U64, seed1: U64): [U64, U64] {
  let a = seed0;
  let b = seed1;
  let c: U64;
  let d: U64;
  let pos = start;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1);
    c = add(mul(b, k1), hashLen0to16(s, pos, len));
    d = shiftMix(add(a, len >= 8 ? fetch64(s, pos) : c));
  } else {
    c = hashLen16(add(fetch64(s, pos + len - 8), k1), a);
    d = hashLen16(add(b, ofNumber(len)), add(c, fetch64(s, pos + len - 16)));
    a = add(a, d);
    do {
      a = xor(a, mul(shiftMix(mul(fetch64(s, pos), k1)), k1));
      a = mul(a, k1);
      b = xor(b, a);
      c = xor(c, mul(shiftMix(mul(fetch64(s, pos + 8), k1)), k1));
      c = mul(c, k1);
      d = xor(d, c);
      pos += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [xor(a, b), hashLen16(b, a)];
}

function cityHash128WithSeed(s: Buffer, start: number, length: number, seed0: U64, seed1: U64): [U64, U64] {
  if (length < 128) return cityMurmur(s, start, length, seed0, seed1);
  let pos = start;
  let len = length;
  let x = seed0;
  let y = seed1;
  let z = mul(k1, ofNumber(len));
  let v0 = add(mul(rotate(xor(y, k1), 49), k1), fetch64(s, pos));
  let v1 = add(mul(rotate(v0, 42), k1), fetch64(s, pos + 8));
  let w0 = add(mul(rotate(add(y, z), 35), k1), x);
  let w1 = mul(rotate(add(x, fetch64(s, pos + 88)), 53), k1);
  const round = () => {
    x = mul(rotate(add(add(add(x, y), v0), fetch64(s, pos + 16)), 37), k1);
    y = mul(rotate(add(add(y, v1), fetch64(s, pos + 48)), 42), k1);
    x = xor(x, w1);
    y = xor(y, v0);
    z = rotate(xor(z, w0), 33);
    [v0, v1] = weakHashLen32WithSeeds(s, pos, mul(v1, k1), add(x, w0));
    [w0, w1] = weakHashLen32WithSeeds(s, pos + 32, add(z, w1), y);
    [z, x] = [x, z];
    pos += 64;
  };
  // The same inner loop as CityHash64, two rounds per 128 bytes.
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w0, 37), k0), z));
  x = add(x, mul(rotate(add(v0, z), 49), k0));
  // Up to four 32-byte chunks from the end of the input.
  for (let tailDone = 0; tailDone < len; ) {
    tailDone += 32;
    y = add(mul(rotate(sub(y, x), 42), k0), v1);
    w0 = add(w0, fetch64(s, pos + len - tailDone + 16));
    x = add(mul(rotate(x, 49), k0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakHashLen32WithSeeds(s, pos + len - tailDone, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return [add(hashLen16(add(x, v1), w1), y), hashLen16(add(x, w1), add(y, v1))];
}

function hash(data: Buffer): [U64, U64] {
  const len = data.length;
  if (len >= 16) return cityHash128WithSeed(data, 16, len - 16, xor(fetch64(data, 0), k3), fetch64(data, 8));
  if (len >= 8) return cityHash128WithSeed(Buffer.alloc(0), 0, 0, xor(fetch64(data, 0), mul(ofNumber(len), k0)), xor(fetch64(data, len - 8), k1));
  return cityHash128WithSeed(data, 0, len, k0, k1);
}

/** CityHash128 (v1.0.2) of `data`: the low and high 64 bits, as ClickHouse writes them (low first, little-endian). */
export function cityHash128(data: Buffer): [bigint, bigint] {
  const [low, high] = hash(data);
  return [toBig(low), toBig(high)];
}
