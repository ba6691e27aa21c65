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
 * How the devnet's ZK keys come about: `ceremony` (the native devnet): ZK-mode models are listed
 * without ZK (no key yet) and `runDevnetZkCeremony` runs the verifiers' phase-2 ceremony, then
 * sets the listing's key and ZK mode; `example`: the committed example artifacts' key (a
 * single-party setup) is listed at once, and `sealDevnetZkKeys` seals it.
 */
export type DevnetZkSetup = "ceremony" | "example";

/**
 * How the devnet (native or compose) registers its models: with `zk: "example"` (the default)
 * ZK-mode ones get their on-chain verifier contracts deployed first (`deployZkVerifiers`); with
 * `zk: "ceremony"` they are listed without the ZK mode, which the ceremony adds. TEE-mode ones
 * allow the devnet's development enclave image unless they list their own measurements. In
 * `models` order.
 */
export async function devnetModelSetups(
  models: readonly DevnetModel[],
  rpcUrl: string,
  options: { zk?: DevnetZkSetup } = {},
): Promise<DevnetModelSetup[]> {
  const devMeasurement = enclaveMeasurement(devEnclavePcrs(DEVNET.enclaveImageId));
  const ceremony = options.zk === "ceremony";
  const withZk = ceremony ? models : await deployZkVerifiers(models, rpcUrl);
  return withZk.map((m) => ({
    model: m,
    setup: {
      modelId: modelIdFromBytes(readFileSync(m.file)),
      metadataURI: `opg-devnet://${m.name}`,
      modes: modeMask(...m.modes.filter((mode) => !(ceremony && mode === ProofMode.ZK && !m.zkVerifier))),
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
