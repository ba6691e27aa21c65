import type { OpgDeployment, RegistryParams } from "@opg/contracts";
import { type Address, type Client, getAddress, isAddress, zeroAddress } from "viem";
import { getChainId, getCode, readContract } from "viem/actions";
import { enclaveRegistryAbi, inferenceHubAbi } from "../abis.js";
import { ChainError } from "../errors/ChainError.js";

export type { OpgDeployment, RegistryParams };

/** Path of a chain's deployment file: `<dir>/<chainId>.json` (what `deployOpg` scripts write). */
export function deploymentPath(dir: string, chainId: number): string {
  return `${dir.replace(/\/+$/, "")}/${chainId}.json`;
}

/**
 * Reads and validates a deployment file. `source` is either the file or a directory plus chain id.
 * Errors name the file and the offending key: DEPLOYMENTS_NOT_FOUND, DEPLOYMENTS_INVALID.
 */
export async function loadDeployment(
  source: { file: string; chainId?: number | undefined } | { dir: string; chainId: number },
): Promise<OpgDeployment> {
  const file = "file" in source ? source.file : deploymentPath(source.dir, source.chainId);
  let text: string;
  try {
    // Loaded on use: the rest of this module (parseDeployment, checkDeployment) runs in browsers too.
    const { readFile } = await import("node:fs/promises");
    text = await readFile(file, "utf8");
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    throw new ChainError(
      missing ? "DEPLOYMENTS_NOT_FOUND" : "DEPLOYMENTS_INVALID",
      missing ? `No deployment file at ${file}.` : `Cannot read the deployment file ${file}.`,
      {
        cause,
        details: missing
          ? "Deploy the contracts first (contracts: deployOpg), or point to the right directory."
          : undefined,
        meta: { file },
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChainError("DEPLOYMENTS_INVALID", `The deployment file ${file} is not valid JSON.`, {
      cause,
      meta: { file },
    });
  }
  const deployment = parseDeployment(json, file);
  if (source.chainId !== undefined && deployment.chainId !== source.chainId) {
    throw invalid(file, "chainId", `is ${deployment.chainId}, expected ${source.chainId}`);
  }
  return deployment;
}

/**
 * Validates the JSON form of a deployment (bigints as decimal strings, addresses as hex) and
 * returns it typed; `source` names the document in errors.
 */
export function parseDeployment(json: unknown, source = "deployment"): OpgDeployment {
  const root = object(json, source, "");
  const params = object(root["registryParams"], source, "registryParams");
  const chainId = root["chainId"];
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw invalid(source, "chainId", "must be a positive integer");
  }
  const share = params["challengerShareBps"];
  if (typeof share !== "number" || !Number.isInteger(share) || share < 0 || share > 10_000) {
    throw invalid(source, "registryParams.challengerShareBps", "must be an integer in 0..10000");
  }
  return {
    chainId,
    inferenceHub: contractAddress(root, "inferenceHub", source),
    operatorRegistry: contractAddress(root, "operatorRegistry", source),
    modelRegistry: contractAddress(root, "modelRegistry", source),
    enclaveRegistry: contractAddress(root, "enclaveRegistry", source),
    startBlock: uint(root, "startBlock", source),
    deployer: address(root, "deployer", source),
    admin: address(root, "admin", source),
    registryParams: {
      minExecutorStake: uint(params, "minExecutorStake", source, "registryParams."),
      minVerifierStake: uint(params, "minVerifierStake", source, "registryParams."),
      challengeWindow: uint(params, "challengeWindow", source, "registryParams."),
      unbondingDelay: uint(params, "unbondingDelay", source, "registryParams."),
      treasury: address(params, "treasury", source, "registryParams."),
      challengerShareBps: share,
    },
  };
}

/**
 * Checks a deployment against the RPC: same chain id, code at every contract, the hub wired to
 * the registries and the enclave registry to the hub. Call once at start-up so a wrong file or RPC fails loudly.
 */
export async function checkDeployment(client: Client, deployment: OpgDeployment): Promise<void> {
  const chainId = await getChainId(client);
  if (chainId !== deployment.chainId) {
    throw new ChainError(
      "CHAIN_MISMATCH",
      `The RPC serves chain ${chainId}, the deployment is for ${deployment.chainId}.`,
      {
        meta: { expected: deployment.chainId, actual: chainId },
      },
    );
  }
  for (const key of ["inferenceHub", "operatorRegistry", "modelRegistry", "enclaveRegistry"] as const) {
    const code = await getCode(client, { address: deployment[key] });
    if (code === undefined || code === "0x") {
      throw new ChainError(
        "DEPLOYMENTS_INVALID",
        `No contract at ${key} ${deployment[key]} on chain ${chainId}.`,
        {
          meta: { key, address: deployment[key] },
        },
      );
    }
  }
  const [registry, models, enclaveHub] = await Promise.all([
    readContract(client, {
      address: deployment.inferenceHub,
      abi: inferenceHubAbi,
      functionName: "operatorRegistry",
    }),
    readContract(client, {
      address: deployment.inferenceHub,
      abi: inferenceHubAbi,
      functionName: "modelRegistry",
    }),
    readContract(client, {
      address: deployment.enclaveRegistry,
      abi: enclaveRegistryAbi,
      functionName: "hub",
    }),
  ]);
  if (getAddress(registry) !== getAddress(deployment.operatorRegistry)) {
    throw new ChainError(
      "DEPLOYMENTS_INVALID",
      "The hub uses another OperatorRegistry than the deployment names.",
      {
        meta: { hub: registry, deployment: deployment.operatorRegistry },
      },
    );
  }
  if (getAddress(models) !== getAddress(deployment.modelRegistry)) {
    throw new ChainError(
      "DEPLOYMENTS_INVALID",
      "The hub uses another ModelRegistry than the deployment names.",
      {
        meta: { hub: models, deployment: deployment.modelRegistry },
      },
    );
  }
  if (getAddress(enclaveHub) !== getAddress(deployment.inferenceHub)) {
    throw new ChainError("DEPLOYMENTS_INVALID", "The EnclaveRegistry belongs to another hub.", {
      meta: { key: "enclaveRegistry", hub: enclaveHub, deployment: deployment.inferenceHub },
    });
  }
}

function object(value: unknown, source: string, key: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw key === ""
      ? new ChainError("DEPLOYMENTS_INVALID", `${source}: a deployment is a JSON object.`, {
          meta: { file: source },
        })
      : invalid(source, key, "must be an object");
  }
  return value as Record<string, unknown>;
}

function address(record: Record<string, unknown>, key: string, source: string, prefix = ""): Address {
  const value = record[key];
  // isAddress (strict) also rejects mixed-case addresses with a wrong checksum.
  if (typeof value !== "string" || !isAddress(value)) {
    throw invalid(source, prefix + key, `must be a 0x-prefixed 20-byte address (got ${describe(value)})`);
  }
  return getAddress(value);
}

function contractAddress(record: Record<string, unknown>, key: string, source: string): Address {
  const value = address(record, key, source);
  if (value === zeroAddress) throw invalid(source, key, "must not be the zero address");
  return value;
}

function uint(record: Record<string, unknown>, key: string, source: string, prefix = ""): bigint {
  const value = record[key];
  if (typeof value !== "string" || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw invalid(source, prefix + key, `must be a decimal integer string (got ${describe(value)})`);
  }
  return BigInt(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function invalid(source: string, key: string, problem: string): ChainError {
  return new ChainError("DEPLOYMENTS_INVALID", `${source}: "${key}" ${problem}.`, {
    meta: { file: source, key },
  });
}
