import type { Address } from "viem";

/** Registry parameters (OperatorRegistry.Params). */
export interface RegistryParams {
  /** Minimum stake of an active executor, wei. */
  minExecutorStake: bigint;
  /** Minimum stake of an active verifier, wei. */
  minVerifierStake: bigint;
  /** Seconds a retired signing key stays slashable. */
  challengeWindow: bigint;
  /** Seconds between requestUnbond and withdrawStake; must exceed challengeWindow. */
  unbondingDelay: bigint;
  /** Receives the non-challenger share of slashed stake. */
  treasury: Address;
  /** Challenger share of slashed stake, basis points (0..10000). */
  challengerShareBps: number;
}

/** What `deployments/<chainId>.json` holds; daemons and the SDK read it. */
export interface OpgDeployment {
  chainId: number;
  inferenceHub: Address;
  operatorRegistry: Address;
  modelRegistry: Address;
  /** TEE enclave keys registered by the verifier quorum (EnclaveRegistry). */
  enclaveRegistry: Address;
  /** Block of the first deployment transaction: where event scans start. */
  startBlock: bigint;
  deployer: Address;
  admin: Address;
  registryParams: RegistryParams;
}

/** JSON form of {@link OpgDeployment} (bigints as decimal strings). */
export interface OpgDeploymentJson {
  chainId: number;
  inferenceHub: Address;
  operatorRegistry: Address;
  modelRegistry: Address;
  enclaveRegistry: Address;
  startBlock: string;
  deployer: Address;
  admin: Address;
  registryParams: {
    minExecutorStake: string;
    minVerifierStake: string;
    challengeWindow: string;
    unbondingDelay: string;
    treasury: Address;
    challengerShareBps: number;
  };
}

/** Converts a deployment to its JSON form. */
export function deploymentToJson(d: OpgDeployment): OpgDeploymentJson {
  return {
    chainId: d.chainId,
    inferenceHub: d.inferenceHub,
    operatorRegistry: d.operatorRegistry,
    modelRegistry: d.modelRegistry,
    enclaveRegistry: d.enclaveRegistry,
    startBlock: d.startBlock.toString(),
    deployer: d.deployer,
    admin: d.admin,
    registryParams: {
      minExecutorStake: d.registryParams.minExecutorStake.toString(),
      minVerifierStake: d.registryParams.minVerifierStake.toString(),
      challengeWindow: d.registryParams.challengeWindow.toString(),
      unbondingDelay: d.registryParams.unbondingDelay.toString(),
      treasury: d.registryParams.treasury,
      challengerShareBps: d.registryParams.challengerShareBps,
    },
  };
}

/** Parses the JSON form of a deployment (throws on a malformed document). */
export function deploymentFromJson(json: unknown): OpgDeployment {
  const j = json as OpgDeploymentJson;
  const address = (value: unknown, field: string): Address => {
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
      throw new Error(`deployment: ${field} is not an address`);
    }
    return value as Address;
  };
  const integer = (value: unknown, field: string): bigint => {
    if (typeof value !== "string" || !/^\d+$/.test(value))
      throw new Error(`deployment: ${field} is not an integer`);
    return BigInt(value);
  };
  if (
    typeof j !== "object" ||
    j === null ||
    typeof j.registryParams !== "object" ||
    j.registryParams === null
  ) {
    throw new Error("deployment: not an object");
  }
  if (!Number.isSafeInteger(j.chainId) || j.chainId <= 0) throw new Error("deployment: chainId");
  if (!Number.isInteger(j.registryParams.challengerShareBps)) {
    throw new Error("deployment: registryParams.challengerShareBps");
  }
  return {
    chainId: j.chainId,
    inferenceHub: address(j.inferenceHub, "inferenceHub"),
    operatorRegistry: address(j.operatorRegistry, "operatorRegistry"),
    modelRegistry: address(j.modelRegistry, "modelRegistry"),
    enclaveRegistry: address(j.enclaveRegistry, "enclaveRegistry"),
    startBlock: integer(j.startBlock, "startBlock"),
    deployer: address(j.deployer, "deployer"),
    admin: address(j.admin, "admin"),
    registryParams: {
      minExecutorStake: integer(j.registryParams.minExecutorStake, "registryParams.minExecutorStake"),
      minVerifierStake: integer(j.registryParams.minVerifierStake, "registryParams.minVerifierStake"),
      challengeWindow: integer(j.registryParams.challengeWindow, "registryParams.challengeWindow"),
      unbondingDelay: integer(j.registryParams.unbondingDelay, "registryParams.unbondingDelay"),
      treasury: address(j.registryParams.treasury, "registryParams.treasury"),
      challengerShareBps: j.registryParams.challengerShareBps,
    },
  };
}
