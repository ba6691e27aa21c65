import {
  isProofMode,
  type ProofMode,
  parseProofMode,
  type TensorMap,
  unbindableZkInput,
} from "@opg/protocol";
import type { Hex } from "viem";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import type { ModeInput } from "./types.js";

/** A proof mode from a code or name; INVALID_ARGUMENT otherwise. Default NONE. */
export function toMode(mode: ModeInput | undefined): ProofMode {
  if (mode === undefined) return 0;
  const m = typeof mode === "string" ? parseProofMode(mode) : mode;
  if (m === undefined || !isProofMode(m)) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      `mode must be NONE, ZK or TEE (or 0, 1, 2); got ${String(mode)}.`,
    );
  }
  return m;
}

export function checkHex32(value: Hex, name: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new OpgSdkError("INVALID_ARGUMENT", `${name} must be a 0x-prefixed 32-byte hex string.`);
  }
  return value.toLowerCase() as Hex;
}

/** `base` joined with a relative path (keeps a base path such as `https://host/opg/`). */
export function endpoint(base: string, path: string): URL {
  return new URL(path, base.endsWith("/") ? base : `${base}/`);
}

export function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

export function missing(option: string, what: string): OpgSdkError {
  return new OpgSdkError("MISSING_CONFIG", `${what} needs the \`${option}\` option of createOpgClient.`);
}

/**
 * ZK proofs bind float32 or uint8 inputs (`ZK_INPUT_DTYPES`: what the circuit quantizes or packs
 * and the on-chain adapter parses): float64 inputs could pass a verifier quorum but never settle on
 * chain, and distinct float64 values that round to one float32 would share a proof. Refused at
 * request time.
 */
export function refuseUnbindableZkInputs(tensors: TensorMap): void {
  const bad = unbindableZkInput(tensors);
  if (bad) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      `ZK requests take float32 or uint8 inputs; input "${bad.name}" is ${bad.dtype}.`,
      {
        details:
          "Convert the inputs to float32 (Float32Array), or uint8 for a model that takes bytes: that is what the proof binds and the chain checks.",
      },
    );
  }
}
