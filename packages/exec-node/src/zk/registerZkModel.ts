import type { OpgContracts } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { ProofMode } from "@opg/protocol";
import { vkHash, weightsCommitmentBytes32, type ZkArtifacts } from "@opg/zk";
import { type DeployContract, deployZkContracts } from "@opg/zk/toolchain";
import { type Address, type Hex, zeroAddress } from "viem";

export type RegisterZkModelOptions = {
  /** Price per request in wei when a listing is created here. */
  price: bigint;
  metadataURI: string;
};

export type RegisterZkModelDeps = {
  contracts: OpgContracts;
  /** The account that sends the transactions (the listing's publisher). */
  account: Address;
  deploy: DeployContract;
  onLog?: (line: string) => void;
};

/** What `opg-exec models add --zk` did on chain. */
export type ZkRegistration = {
  modelId: Hex;
  /** The publisher's listing that names this key (requests name it; the SDK resolves it from the publisher). */
  listingId: Hex;
  weightsCommitment: Hex;
  /** keccak256 of the verification key (@opg/zk `vkHash`): what f + 1 verifiers seal. */
  vkHash: Hex;
  /** The listing's IZkVerifier (PoseidonGroth16Adapter). */
  zkVerifier: Address;
  /** Whether f + 1 verifiers sealed the key already (settleWithProof needs it). */
  sealed: boolean;
  /** `listed`: a new listing; `unchanged`: the account's latest listing already names this key. */
  action: "listed" | "unchanged";
  deployed?: { groth16Verifier: Address; hashers: Record<number, Address> } | undefined;
};

/**
 * Puts a ZK model on chain under the account's own listing: deploys its verifier contracts
 * (Groth16 verifier, Poseidon hashers, PoseidonGroth16Adapter) and creates a listing (modes NONE
 * and ZK) with the adapter, the weights commitment and the key hash. Idempotent: when the
 * account's latest listing of the model already names this key, nothing is sent. A listing's
 * verifier never changes: another key gets a new listing. Other publishers' listings of the same
 * file are neither read nor affected.
 */
export async function registerZkModel(
  artifacts: ZkArtifacts,
  options: RegisterZkModelOptions,
  deps: RegisterZkModelDeps,
): Promise<ZkRegistration> {
  const modelId = artifacts.manifest.modelId;
  const commitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment);
  const key = vkHash(artifacts.vkey);
  const models = deps.contracts.models;
  const latest = await models.latestListing(modelId, deps.account);
  const existing = latest === undefined ? undefined : await models.getListing(latest);
  if (
    existing &&
    existing.zkVerifier !== zeroAddress &&
    existing.vkHash.toLowerCase() === key.toLowerCase() &&
    existing.weightsCommitment.toLowerCase() === commitment
  ) {
    return {
      modelId,
      listingId: existing.listingId,
      weightsCommitment: commitment,
      vkHash: key,
      zkVerifier: existing.zkVerifier,
      sealed: existing.zkKeySealed,
      action: "unchanged",
    };
  }
  deps.onLog?.("deploying the Groth16 verifier, Poseidon hashers and adapter");
  const deployed = await deployZkContracts(artifacts, deps.deploy);
  const { listingId } = await models.createListing({
    modelId,
    metadataURI: options.metadataURI,
    modes: modeMask(ProofMode.NONE, ProofMode.ZK),
    price: options.price,
    weightsCommitment: commitment,
    zkVerifier: deployed.adapter,
    vkHash: deployed.vkHash,
  });
  deps.onLog?.(`listing ${listingId} created; settleWithProof needs its key sealed by f + 1 verifiers`);
  return {
    modelId,
    listingId,
    weightsCommitment: commitment,
    vkHash: key,
    zkVerifier: deployed.adapter,
    sealed: false,
    action: "listed",
    deployed: { groth16Verifier: deployed.groth16Verifier, hashers: deployed.hashers },
  };
}
