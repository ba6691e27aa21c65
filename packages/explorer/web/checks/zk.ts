import { modelRegistryAbi } from "@opg/chain";
import { decodeTensors } from "@opg/protocol";
import { bindResultProof, toSnarkjsProof, type ZkVerifyingArtifacts } from "@opg/zk/browser";
import * as snarkjs from "snarkjs";
import { type Hex, hexToBytes } from "viem";
import type { Explorer } from "../context.js";

export type ZkCheck = { ok: boolean; lines: { ok: boolean; text: string }[]; ms: number };

/**
 * A ZK result's Groth16 proof, checked in this browser: the verifying artifacts come from a verifier's
 * API, but their weights commitment must equal the one registered on chain for the model; the proof is
 * bound to the result (keccak of the attached input = inputHash, Poseidon commitments of the quantized
 * input and output, the executor's address) and then verified with snarkjs (pairing check, BN254).
 */
export async function checkZkResult(
  explorer: Explorer,
  r: { modelId: Hex; inputHash: Hex; outputHash: Hex; executor: Hex; outputs: Hex; resultProof: Hex },
): Promise<ZkCheck> {
  const t0 = performance.now();
  const lines: ZkCheck["lines"] = [];
  const fail = (text: string): ZkCheck => {
    lines.push({ ok: false, text });
    return { ok: false, lines, ms: performance.now() - t0 };
  };
  const [artifacts] = (
    await explorer.fromVerifiers<ZkVerifyingArtifacts & { error?: unknown }>(`/v1/zk/${r.modelId}`)
  ).filter((a) => a.vkey !== undefined);
  if (!artifacts) return fail("no verifier serves this model's verification key");
  const [registered] = (await explorer.chain.readContract({
    address: explorer.config.modelRegistry,
    abi: modelRegistryAbi,
    functionName: "zkConfig",
    args: [r.modelId],
  })) as readonly [Hex, Hex];
  if (BigInt(registered) !== BigInt(artifacts.manifest.weightsCommitment))
    return fail(
      `weights commitment ${artifacts.manifest.weightsCommitment} is not the one registered on chain (${registered})`,
    );
  lines.push({
    ok: true,
    text: `weights commitment matches the ModelRegistry (${registered.slice(0, 12)}…)`,
  });
  let bound: Awaited<ReturnType<typeof bindResultProof>>;
  try {
    bound = await bindResultProof(artifacts, {
      modelId: r.modelId,
      inputHash: r.inputHash,
      outputHash: r.outputHash,
      outputs: decodeTensors(hexToBytes(r.outputs)),
      executor: r.executor,
      proof: hexToBytes(r.resultProof),
    });
  } catch (err) {
    return fail(`proof does not match the result: ${err instanceof Error ? err.message : String(err)}`);
  }
  lines.push({
    ok: true,
    text: "public signals bind the input hash, the output and the executor (Poseidon, recomputed here)",
  });
  const ok = await snarkjs.groth16.verify(
    artifacts.vkey,
    bound.publicSignals.map((s) => s.toString()),
    toSnarkjsProof(bound.proof),
  );
  if (!ok) return fail("Groth16 pairing check failed");
  lines.push({ ok: true, text: "Groth16 proof verified by snarkjs in this browser" });
  return { ok: true, lines, ms: performance.now() - t0 };
}
