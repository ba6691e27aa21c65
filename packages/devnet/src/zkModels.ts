import { readFileSync } from "node:fs";
import { modelIdFromBytes, ProofMode } from "@opg/protocol";
import { deployBytecode } from "@opg/testkit";
import { ARTIFACT_FILES, EXAMPLE_ARTIFACTS_DIR, loadArtifacts, ZkArtifactStore } from "@opg/zk";
import { deployZkContracts } from "@opg/zk/toolchain";
import type { DevnetModel } from "./Devnet.js";

/**
 * ZK-mode models need, in the ModelRegistry, a verifier contract and the weights commitment: for
 * every model with ProofMode.ZK and no `zkVerifier` yet, deploys on the dev chain what
 * `opg-exec models add --zk` deploys (@opg/zk `deployZkContracts`: the generated Groth16 verifier,
 * the Poseidon hashers and the PoseidonGroth16Adapter that InferenceHub.settleWithProof calls)
 * from its artifacts (its `zkArtifactsDir`, or found by model id under `artifactRoots`, by default
 * @opg/zk's committed examples), and fills in `zkVerifier` (the adapter) and `weightsCommitment`. Other models are
 * returned as they are.
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
    const artifacts =
      m.zkArtifactsDir !== undefined ? await loadArtifacts(m.zkArtifactsDir) : await store.get(modelId);
    if (artifacts === undefined) {
      throw new Error(`No ZK artifacts for model ${m.name} (${modelId}) under ${artifactRoots.join(", ")}.`);
    }
    const { adapter, weightsCommitment, vkHash } = await deployZkContracts(artifacts, (initCode) =>
      deployBytecode(rpcUrl, initCode),
    );
    // The committed key came from a single-party setup: its zkey's hash stands for a transcript.
    const zkTranscriptHash = `0x${artifacts.manifest.files[ARTIFACT_FILES.zkey]}` as const;
    out.push({ ...m, zkVerifier: adapter, weightsCommitment, vkHash, zkTranscriptHash });
  }
  return out;
}
