import { readFileSync } from "node:fs";
import { devEnclavePcrs, enclaveMeasurement } from "@opg/attestation";
import { type ModelSetup, modeMask } from "@opg/contracts";
import { modelIdFromBytes, ProofMode } from "@opg/protocol";
import type { DevnetModel } from "./Devnet.js";
import { DEVNET } from "./topology.js";
import { deployZkVerifiers } from "./zkModels.js";

/** A devnet model and how it is registered in the ModelRegistry. */
export type DevnetModelSetup = { model: DevnetModel; setup: ModelSetup };

/**
 * How the devnet (native or compose) registers its models: ZK-mode ones get their on-chain
 * verifier contracts deployed first (`deployZkVerifiers`), TEE-mode ones allow the devnet's
 * development enclave image unless they list their own measurements. In `models` order.
 */
export async function devnetModelSetups(
  models: readonly DevnetModel[],
  rpcUrl: string,
): Promise<DevnetModelSetup[]> {
  const devMeasurement = enclaveMeasurement(devEnclavePcrs(DEVNET.enclaveImageId));
  const withZk = await deployZkVerifiers(models, rpcUrl);
  return withZk.map((m) => ({
    model: m,
    setup: {
      modelId: modelIdFromBytes(readFileSync(m.file)),
      metadataURI: `opg-devnet://${m.name}`,
      modes: modeMask(...m.modes),
      price: m.price ?? 0n,
      ...(m.weightsCommitment ? { weightsCommitment: m.weightsCommitment } : {}),
      ...(m.zkVerifier ? { zkVerifier: m.zkVerifier } : {}),
      ...(m.vkHash ? { vkHash: m.vkHash } : {}),
      ...(m.measurements
        ? { measurements: m.measurements }
        : m.modes.includes(ProofMode.TEE)
          ? { measurements: [devMeasurement] }
          : {}),
    },
  }));
}
