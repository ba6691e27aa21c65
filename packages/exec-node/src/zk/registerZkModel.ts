import type { OpgContracts } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { OpgError, ProofMode } from "@opg/protocol";
import { type DeployContract, deployZkContracts, weightsCommitmentBytes32, type ZkArtifacts } from "@opg/zk";
import { type Address, type Hex, zeroAddress } from "viem";

export type RegisterZkModelOptions = {
  /** Price per request in wei when the model is registered here. */
  price: bigint;
  metadataURI: string;
};

export type RegisterZkModelDeps = {
  contracts: OpgContracts;
  /** The account that sends the transactions (model owner). */
  account: Address;
  deploy: DeployContract;
  onLog?: (line: string) => void;
};

/** What `opg-exec models add --zk` did on chain. */
export type ZkRegistration = {
  modelId: Hex;
  weightsCommitment: Hex;
  /** The model's IZkVerifier (PoseidonGroth16Adapter). */
  zkVerifier: Address;
  /** `registered`: new model; `zk-config-set`: an existing model of ours got its ZK config; `unchanged`: already set. */
  action: "registered" | "zk-config-set" | "unchanged";
  deployed?: { groth16Verifier: Address; hashers: Record<number, Address> } | undefined;
};

/**
 * Puts a ZK model on chain: deploys its verifier contracts (Groth16 verifier, Poseidon hashers,
 * PoseidonGroth16Adapter) and records the adapter and weights commitment in the ModelRegistry,
 * registering the model (modes NONE and ZK) when it is new or setting the ZK config (and adding
 * the ZK mode) of a model the account owns. Idempotent: a model whose registered commitment is
 * already this one is left as is. Refuses a model owned by someone else, or whose (set-once) ZK
 * config names other weights.
 */
export async function registerZkModel(
  artifacts: ZkArtifacts,
  options: RegisterZkModelOptions,
  deps: RegisterZkModelDeps,
): Promise<ZkRegistration> {
  const modelId = artifacts.manifest.modelId;
  const commitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment);
  const models = deps.contracts.models;
  const existing = await models.getModel(modelId);
  if (existing && existing.zkVerifier !== zeroAddress) {
    if (existing.weightsCommitment.toLowerCase() !== commitment) {
      throw new OpgError(
        "ZK_CONFIG_CONFLICT",
        `Model ${modelId} already has a ZK config with weights commitment ${existing.weightsCommitment}; these artifacts commit to ${commitment}.`,
        { details: "The ZK config is set once: compile with the options it was registered with." },
      );
    }
    return { modelId, weightsCommitment: commitment, zkVerifier: existing.zkVerifier, action: "unchanged" };
  }
  if (existing && existing.owner.toLowerCase() !== deps.account.toLowerCase()) {
    throw new OpgError(
      "NOT_MODEL_OWNER",
      `Model ${modelId} is registered by ${existing.owner}; only its owner can set its ZK config.`,
    );
  }
  deps.onLog?.("deploying the Groth16 verifier, Poseidon hashers and adapter");
  const deployed = await deployZkContracts(artifacts, deps.deploy);
  const zk = modeMask(ProofMode.ZK);
  if (existing === undefined) {
    await models.registerModel({
      modelId,
      metadataURI: options.metadataURI,
      modes: modeMask(ProofMode.NONE) | zk,
      price: options.price,
      weightsCommitment: commitment,
      zkVerifier: deployed.adapter,
    });
  } else {
    await models.setZkConfig(modelId, commitment, deployed.adapter);
    if ((existing.modes & zk) === 0) await models.setModes(modelId, existing.modes | zk);
  }
  return {
    modelId,
    weightsCommitment: commitment,
    zkVerifier: deployed.adapter,
    action: existing === undefined ? "registered" : "zk-config-set",
    deployed: { groth16Verifier: deployed.groth16Verifier, hashers: deployed.hashers },
  };
}
