import { readFileSync } from "node:fs";
import { modelIdFromBytes, ProofMode } from "@opg/protocol";
import { deployBytecode } from "@opg/testkit";
import {
  compileVerifierSolidity,
  EXAMPLE_ARTIFACTS_DIR,
  weightsCommitmentBytes32,
  ZkArtifactStore,
} from "@opg/zk";
import type { DevnetModel } from "./Devnet.js";

/**
 * ZK-mode models need, in the ModelRegistry, a verifier contract with code and the weights
 * commitment: for every model with ProofMode.ZK and no `zkVerifier` yet, compiles the generated
 * Groth16 verifier of its artifacts (found by model id under `artifactRoots`, by default @opg/zk's
 * committed examples), deploys it on the dev chain and fills in `zkVerifier` and
 * `weightsCommitment` (bytes32). Other models are returned as they are.
 */
export async function deployZkVerifiers(
  models: readonly DevnetModel[],
  rpcUrl: string,
  artifactRoots: readonly string[] = [EXAMPLE_ARTIFACTS_DIR],
): Promise<DevnetModel[]> {
  const store = new ZkArtifactStore(artifactRoots);
  const out: DevnetModel[] = [];
  for (const m of models) {
    if (!m.modes.includes(ProofMode.ZK) || m.zkVerifier !== undefined) {
      out.push(m);
      continue;
    }
    const modelId = modelIdFromBytes(readFileSync(m.file));
    const artifacts = await store.get(modelId);
    if (artifacts === undefined) {
      throw new Error(`No ZK artifacts for model ${m.name} (${modelId}) under ${artifactRoots.join(", ")}.`);
    }
    const { bytecode } = compileVerifierSolidity(readFileSync(artifacts.solidityPath, "utf8"));
    out.push({
      ...m,
      zkVerifier: await deployBytecode(rpcUrl, bytecode),
      weightsCommitment: weightsCommitmentBytes32(artifacts.manifest.weightsCommitment),
    });
  }
  return out;
}
