import { pbkdf2Sync } from "node:crypto";
import { endianness } from "node:os";

/**
 * scrypt (RFC 7914) in plain TypeScript, for parameters OpenSSL refuses: OpenSSL requires
 * N < 2^(16·r), which the Web3 Secret Storage test vector (N = 2^18, r = 1) and some old wallets
 * break. Standard keystores (r = 8) go through node:crypto; this path is synchronous and slower.
 */
export function scryptJs(
  password: Uint8Array,
  salt: Uint8Array,
  N: number,
  r: number,
  p: number,
  dkLen: number,
): Buffer {
  if (endianness() !== "LE") throw new Error("scryptJs needs a little-endian platform");
  const blockWords = 32 * r;
  const B = pbkdf2Sync(password, salt, 1, p * 128 * r, "sha256");
  const words = new Uint32Array(B.buffer, B.byteOffset, B.byteLength / 4).slice();
  const V = new Uint32Array(blockWords * N);
  const X = new Uint32Array(blockWords);
  const Y = new Uint32Array(blockWords);
  const T = new Uint32Array(16);
  for (let i = 0; i < p; i++) {
    const offset = i * blockWords;
    X.set(words.subarray(offset, offset + blockWords));
    for (let n = 0; n < N; n++) {
      V.set(X, n * blockWords);
      blockMix(X, Y, T, r);
    }
    for (let n = 0; n < N; n++) {
      const j = (X[blockWords - 16] as number) & (N - 1);
      const base = j * blockWords;
      for (let k = 0; k < blockWords; k++) X[k] = (X[k] as number) ^ (V[base + k] as number);
      blockMix(X, Y, T, r);
    }
    words.set(X, offset);
  }
  const mixed = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  return pbkdf2Sync(password, mixed, 1, dkLen, "sha256");
}

/** BlockMix_{Salsa20/8, r}, in place on X (Y and T are scratch). */
function blockMix(X: Uint32Array, Y: Uint32Array, T: Uint32Array, r: number): void {
  T.set(X.subarray((2 * r - 1) * 16, 2 * r * 16));
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) T[k] = (T[k] as number) ^ (X[i * 16 + k] as number);
    salsa20_8(T);
    // Even blocks go to the first half, odd blocks to the second half.
    Y.set(T, ((i & 1) * r + (i >> 1)) * 16);
  }
  X.set(Y);
}

function salsa20_8(B: Uint32Array): void {
  const R = (a: number, b: number) => (a << b) | (a >>> (32 - b));
  const b0 = B[0] as number;
  const b1 = B[1] as number;
  const b2 = B[2] as number;
  const b3 = B[3] as number;
  const b4 = B[4] as number;
  const b5 = B[5] as number;
  const b6 = B[6] as number;
  const b7 = B[7] as number;
  const b8 = B[8] as number;
  const b9 = B[9] as number;
  const b10 = B[10] as number;
  const b11 = B[11] as number;
  const b12 = B[12] as number;
  const b13 = B[13] as number;
  const b14 = B[14] as number;
  const b15 = B[15] as number;
  let x0 = b0;
  let x1 = b1;
  let x2 = b2;
  let x3 = b3;
  let x4 = b4;
  let x5 = b5;
  let x6 = b6;
  let x7 = b7;
  let x8 = b8;
  let x9 = b9;
  let x10 = b10;
  let x11 = b11;
  let x12 = b12;
  let x13 = b13;
  let x14 = b14;
  let x15 = b15;
  for (let i = 0; i < 8; i += 2) {
    // Columns.
    x4 ^= R(x0 + x12, 7);
    x8 ^= R(x4 + x0, 9);
    x12 ^= R(x8 + x4, 13);
    x0 ^= R(x12 + x8, 18);
    x9 ^= R(x5 + x1, 7);
    x13 ^= R(x9 + x5, 9);
    x1 ^= R(x13 + x9, 13);
    x5 ^= R(x1 + x13, 18);
    x14 ^= R(x10 + x6, 7);
    x2 ^= R(x14 + x10, 9);
    x6 ^= R(x2 + x14, 13);
    x10 ^= R(x6 + x2, 18);
    x3 ^= R(x15 + x11, 7);
    x7 ^= R(x3 + x15, 9);
    x11 ^= R(x7 + x3, 13);
    x15 ^= R(x11 + x7, 18);
    // Rows.
    x1 ^= R(x0 + x3, 7);
    x2 ^= R(x1 + x0, 9);
    x3 ^= R(x2 + x1, 13);
    x0 ^= R(x3 + x2, 18);
    x6 ^= R(x5 + x4, 7);
    x7 ^= R(x6 + x5, 9);
    x4 ^= R(x7 + x6, 13);
    x5 ^= R(x4 + x7, 18);
    x11 ^= R(x10 + x9, 7);
    x8 ^= R(x11 + x10, 9);
    x9 ^= R(x8 + x11, 13);
    x10 ^= R(x9 + x8, 18);
    x12 ^= R(x15 + x14, 7);
    x13 ^= R(x12 + x15, 9);
    x14 ^= R(x13 + x12, 13);
    x15 ^= R(x14 + x13, 18);
  }
  B[0] = (b0 + x0) >>> 0;
  B[1] = (b1 + x1) >>> 0;
  B[2] = (b2 + x2) >>> 0;
  B[3] = (b3 + x3) >>> 0;
  B[4] = (b4 + x4) >>> 0;
  B[5] = (b5 + x5) >>> 0;
  B[6] = (b6 + x6) >>> 0;
  B[7] = (b7 + x7) >>> 0;
  B[8] = (b8 + x8) >>> 0;
  B[9] = (b9 + x9) >>> 0;
  B[10] = (b10 + x10) >>> 0;
  B[11] = (b11 + x11) >>> 0;
  B[12] = (b12 + x12) >>> 0;
  B[13] = (b13 + x13) >>> 0;
  B[14] = (b14 + x14) >>> 0;
  B[15] = (b15 + x15) >>> 0;
}
