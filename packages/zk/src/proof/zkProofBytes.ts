import { FIELD_ORDER } from "../quant/field.js";
import { ZkError } from "../ZkError.js";
import type { Groth16ProofPoints } from "./Groth16Proof.js";

/** BN254 base field order: proof coordinates are below it. */
export const BASE_FIELD_ORDER =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export const ZK_PROOF_VERSION = 1;
/** Public signals a proof may carry (the compiled circuits use 4). */
export const MAX_PUBLIC_SIGNALS = 16;
/** Largest attached input encoding. */
export const MAX_ATTACHED_INPUT_BYTES = 1 << 20;
const FLAG_INPUT = 1;

/** What the gossip `proof` field of a ZK-mode result carries. */
export type ZkProofEnvelope = {
  proof: Groth16ProofPoints;
  /** Public signals in circuit order: [weightsCommitment, inputCommitment, outputCommitment, executor]. */
  publicSignals: readonly bigint[];
  /**
   * The request's input tensors in canonical encoding (`encodeTensors`), so that a verifier can
   * check keccak256(input) = inputHash and recompute the input commitment. Required in results.
   */
  input?: Uint8Array;
};

function writeWord(out: Uint8Array, offset: number, v: bigint): void {
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function readWord(bytes: Uint8Array, offset: number): bigint {
  let x = 0n;
  for (let i = 0; i < 32; i++) x = (x << 8n) | BigInt(bytes[offset + i]!);
  return x;
}

/**
 * Compact binary encoding of a Groth16 proof with its public signals:
 *
 *   u8        version = 1
 *   u8        flags (bit 0: input attached; other bits 0)
 *   8 × 32 B  A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y   (big-endian, EIP-197 order)
 *   u8        n = number of public signals (≤ 16)
 *   n × 32 B  public signals (big-endian, < r)
 *   [u32 LE length + bytes: canonical encoding of the request inputs]   when flag bit 0
 *
 * 387 bytes for the 4 public signals of a compiled circuit without input. Decoding is strict (ranges, lengths, no trailing bytes).
 */
export function encodeZkProof(env: ZkProofEnvelope): Uint8Array {
  const n = env.publicSignals.length;
  if (n > MAX_PUBLIC_SIGNALS) throw new ZkError("INVALID_PROOF_ENCODING", `Too many public signals (${n}).`);
  const inputLen = env.input ? env.input.length : -1;
  if (inputLen > MAX_ATTACHED_INPUT_BYTES)
    throw new ZkError("INVALID_PROOF_ENCODING", "Attached input is too large.");
  const out = new Uint8Array(2 + 256 + 1 + 32 * n + (env.input ? 4 + inputLen : 0));
  out[0] = ZK_PROOF_VERSION;
  out[1] = env.input ? FLAG_INPUT : 0;
  const { a, b, c } = env.proof;
  const words = [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]];
  words.forEach((w, i) => {
    if (w < 0n || w >= BASE_FIELD_ORDER)
      throw new ZkError("INVALID_PROOF_ENCODING", "Proof coordinate out of range.");
    writeWord(out, 2 + 32 * i, w);
  });
  out[258] = n;
  env.publicSignals.forEach((s, i) => {
    if (s < 0n || s >= FIELD_ORDER)
      throw new ZkError("INVALID_PROOF_ENCODING", "Public signal out of range.");
    writeWord(out, 259 + 32 * i, s);
  });
  if (env.input) {
    const at = 259 + 32 * n;
    new DataView(out.buffer).setUint32(at, inputLen, true);
    out.set(env.input, at + 4);
  }
  return out;
}

/** Strict inverse of encodeZkProof; throws ZkError INVALID_PROOF_ENCODING. */
export function decodeZkProof(bytes: Uint8Array): ZkProofEnvelope {
  const fail = (why: string) => new ZkError("INVALID_PROOF_ENCODING", `Invalid zk proof bytes: ${why}.`);
  if (bytes.length < 259) throw fail("truncated");
  if (bytes[0] !== ZK_PROOF_VERSION) throw fail(`unknown version ${bytes[0]}`);
  const flags = bytes[1]!;
  if ((flags & ~FLAG_INPUT) !== 0) throw fail("unknown flags");
  const w = Array.from({ length: 8 }, (_, i) => readWord(bytes, 2 + 32 * i));
  if (w.some((v) => v >= BASE_FIELD_ORDER)) throw fail("coordinate out of range");
  const n = bytes[258]!;
  if (n > MAX_PUBLIC_SIGNALS) throw fail("too many public signals");
  let at = 259 + 32 * n;
  if (bytes.length < at) throw fail("truncated");
  const publicSignals = Array.from({ length: n }, (_, i) => readWord(bytes, 259 + 32 * i));
  if (publicSignals.some((s) => s >= FIELD_ORDER)) throw fail("public signal out of range");
  let input: Uint8Array | undefined;
  if (flags & FLAG_INPUT) {
    if (bytes.length < at + 4) throw fail("truncated");
    const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
    at += 4;
    if (len > MAX_ATTACHED_INPUT_BYTES || bytes.length < at + len) throw fail("bad input length");
    input = bytes.slice(at, at + len);
    at += len;
  }
  if (at !== bytes.length) throw fail("trailing bytes");
  const proof: Groth16ProofPoints = {
    a: [w[0]!, w[1]!],
    b: [
      [w[2]!, w[3]!],
      [w[4]!, w[5]!],
    ],
    c: [w[6]!, w[7]!],
  };
  return input ? { proof, publicSignals, input } : { proof, publicSignals };
}
