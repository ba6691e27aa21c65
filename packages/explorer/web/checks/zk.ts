import { modelRegistryAbi } from "@opg/chain";
import { decodeTensors } from "@opg/protocol";
import { bindResultProof, toSnarkjsProof, vkHash, type ZkVerifyingArtifacts } from "@opg/zk/browser";
import * as snarkjs from "snarkjs";
import { type Hex, hexToBytes } from "viem";
import type { Explorer } from "../context.js";

export type ZkCheck = { ok: boolean; lines: { ok: boolean; text: string }[]; ms: number };

/**
 * A ZK result's Groth16 proof, checked in this browser: the verifying artifacts come from a verifier's
 * API, but their weights commitment and verification key hash must equal the model's listing on chain
 * (the first trusted publisher's); the proof is
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
  const listingId = await explorer.listingOf(r.modelId);
  if (listingId === undefined) return fail("no trusted publisher lists this model on chain");
  const listing = (await explorer.chain.readContract({
    address: explorer.config.modelRegistry,
    abi: modelRegistryAbi,
    functionName: "getListing",
    args: [listingId],
  })) as { weightsCommitment: Hex; vkHash: Hex; zkKeySealed: boolean };
  if (BigInt(listing.weightsCommitment) !== BigInt(artifacts.manifest.weightsCommitment))
    return fail(
      `weights commitment ${artifacts.manifest.weightsCommitment} is not the listing's (${listing.weightsCommitment})`,
    );
  lines.push({
    ok: true,
    text: `weights commitment matches the listing ${listingId.slice(0, 10)}… (${listing.weightsCommitment.slice(0, 12)}…)`,
  });
  const served = vkHash(artifacts.vkey);
  if (served !== listing.vkHash)
    return fail(
      `the verifier's verification key (${served.slice(0, 12)}…) is not the listing's (${listing.vkHash.slice(0, 12)}…)`,
    );
  lines.push({
    ok: true,
    text: `verification key is the listing's (${served.slice(0, 12)}…)${listing.zkKeySealed ? ", sealed by f + 1 verifiers" : ", not sealed yet"}`,
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
