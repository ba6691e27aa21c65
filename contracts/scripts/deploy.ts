/**
 * Deploys and configures the opg contracts on any JSON-RPC endpoint and writes deployments/<chainId>.json.
 *
 *   tsx scripts/deploy.ts --rpc-url http://127.0.0.1:8545 --private-key 0x… [--out DIR] [--config FILE]
 *   pnpm --filter @opg/contracts deploy:opg --rpc-url … --private-key 0x…
 *
 * Environment fallbacks: OPG_RPC_URL, OPG_DEPLOYER_KEY, OPG_DEPLOYMENTS_DIR, OPG_DEPLOY_CONFIG.
 * Default output directory: contracts/deployments.
 *
 * The optional config file (JSON) may hold:
 *   {
 *     "admin": "0x…",                                   // registry owner (default: deployer)
 *     "registryParams": { "minExecutorStake": "…", "minVerifierStake": "…", "challengeWindow": "…",
 *                         "unbondingDelay": "…", "treasury": "0x…", "challengerShareBps": 5000 },
 *     "operators": [ { "ownerKey": "0x…", "signerKey": "0x…", "role": "verifier", "stake": "…" } ],
 *     "verifierF": 1,
 *     "models": [ { "modelId": "0x…", "metadataURI": "…", "modes": 7, "price": "…",
 *                   "weightsCommitment": "0x…", "zkVerifier": "0x…", "measurements": ["0x…"] } ]
 *   }
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployOpg, type ModelSetup, type OperatorSetup } from "../src/deploy.js";
import type { OpgDeployment, RegistryParams } from "../src/deployment.js";
import { writeDeploymentFile } from "../src/node.js";

const CONTRACTS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface DeployConfigFile {
  admin?: Hex;
  registryParams?: Partial<Record<keyof RegistryParams, string | number>>;
  operators?: { ownerKey: Hex; signerKey: Hex; role: "executor" | "verifier"; stake?: string }[];
  verifierF?: number;
  models?: (Omit<ModelSetup, "price"> & { price: string })[];
}

/** Parses arguments and environment, deploys, writes the deployment file; returns it and its path. */
export async function runDeployCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ deployment: OpgDeployment; file: string }> {
  const { values } = parseArgs({
    // `pnpm run x -- args` may forward the separator itself.
    args: argv[0] === "--" ? argv.slice(1) : [...argv],
    options: {
      "rpc-url": { type: "string" },
      "private-key": { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
    },
    strict: true,
  });
  const rpcUrl = values["rpc-url"] ?? env["OPG_RPC_URL"];
  const privateKey = values["private-key"] ?? env["OPG_DEPLOYER_KEY"];
  const outDir = values.out ?? env["OPG_DEPLOYMENTS_DIR"] ?? path.join(CONTRACTS_ROOT, "deployments");
  const configPath = values.config ?? env["OPG_DEPLOY_CONFIG"];
  if (rpcUrl === undefined) throw new Error("missing --rpc-url (or OPG_RPC_URL)");
  if (privateKey === undefined || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new Error("missing or malformed --private-key (or OPG_DEPLOYER_KEY): 0x + 64 hex digits");
  }
  const config: DeployConfigFile =
    configPath === undefined ? {} : JSON.parse(await readFile(configPath, "utf8"));

  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport });
  const walletClient = createWalletClient({ account: privateKeyToAccount(privateKey as Hex), transport });
  const operators: OperatorSetup[] = (config.operators ?? []).map((op) => {
    const stake = op.stake === undefined ? undefined : BigInt(op.stake);
    return {
      owner: createWalletClient({ account: privateKeyToAccount(op.ownerKey), transport }),
      signer: privateKeyToAccount(op.signerKey),
      role: op.role,
      ...(stake === undefined ? {} : { stake }),
    };
  });
  const registryParams: Partial<RegistryParams> = {};
  const rp = config.registryParams ?? {};
  if (rp.minExecutorStake !== undefined) registryParams.minExecutorStake = BigInt(rp.minExecutorStake);
  if (rp.minVerifierStake !== undefined) registryParams.minVerifierStake = BigInt(rp.minVerifierStake);
  if (rp.challengeWindow !== undefined) registryParams.challengeWindow = BigInt(rp.challengeWindow);
  if (rp.unbondingDelay !== undefined) registryParams.unbondingDelay = BigInt(rp.unbondingDelay);
  if (rp.treasury !== undefined) registryParams.treasury = String(rp.treasury) as Hex;
  if (rp.challengerShareBps !== undefined) registryParams.challengerShareBps = Number(rp.challengerShareBps);

  const deployment = await deployOpg({
    walletClient,
    publicClient,
    registryParams,
    operators,
    models: (config.models ?? []).map((m) => ({ ...m, price: BigInt(m.price) })),
    ...(config.admin === undefined ? {} : { admin: config.admin }),
    ...(config.verifierF === undefined ? {} : { verifierF: config.verifierF }),
  });
  const file = await writeDeploymentFile(outDir, deployment);
  return { deployment, file };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { deployment, file } = await runDeployCli(process.argv.slice(2));
    console.log(`chain ${deployment.chainId}: InferenceHub ${deployment.inferenceHub}`);
    console.log(`  OperatorRegistry ${deployment.operatorRegistry}`);
    console.log(`  ModelRegistry    ${deployment.modelRegistry}`);
    console.log(`  EnclaveRegistry  ${deployment.enclaveRegistry}`);
    console.log(`  start block ${deployment.startBlock}; wrote ${file}`);
  } catch (error) {
    console.error(`deploy failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
