/**
 * The process CPU time of each part of sealing and publishing one result (hash, EIP-712 signature,
 * encode, store), measured alone: where exec_cpu_ms_per_result goes. Run by exec.bench.ts.
 */

import type { OpgDomain, TensorMap } from "@opg/protocol";
import {
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  ProofMode,
  signExecutionResult,
} from "@opg/protocol";
import { keccak256, toHex } from "viem";

/** CPU ms per call of `fn`, over `n` calls. */
export function cpuMsPerCall(n: number, fn: (i: number) => void): number {
  fn(0); // warm
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

export function sealBreakdown(
  outputs: TensorMap,
  domain: OpgDomain,
  privateKey: `0x${string}`,
  n: number,
): Record<string, number> {
  const encoded = encodeTensors(outputs);
  const signed = {
    requestId: keccak256(toHex("r")),
    modelId: keccak256(toHex("m")),
    inputHash: keccak256(toHex("i")),
    outputHash: hashEncodedTensors(encoded),
    mode: ProofMode.NONE,
  };
  const signature = signExecutionResult(privateKey, domain, signed);
  return {
    encode_ms: cpuMsPerCall(n, () => void encodeTensors(outputs)),
    hash_ms: cpuMsPerCall(n, () => void hashEncodedTensors(encoded)),
    sign_ms: cpuMsPerCall(
      n,
      (i) => void signExecutionResult(privateKey, domain, { ...signed, requestId: keccak256(toHex(i)) }),
    ),
    message_ms: cpuMsPerCall(
      n,
      () =>
        void encodeResultMessage({
          ...signed,
          executor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          outputs: new Uint8Array(0),
          proof: new Uint8Array(0),
          signature,
          origin: { type: "onchain" as const },
        }),
    ),
  };
}
