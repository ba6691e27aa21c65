import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, getAddress, http, keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { operatorRegistryAbi } from "../generated/abis/index.js";
import { runDeployCli } from "../scripts/deploy.js";
import { listingIdOf, modeMask, ProofMode } from "../src/constants.js";
import { DEFAULT_REGISTRY_PARAMS, deployOpg } from "../src/deploy.js";
import { deploymentFromJson, deploymentToJson } from "../src/deployment.js";
import { startDevChain } from "../src/devChain.js";
import { readDeploymentFile, writeDeploymentFile } from "../src/node.js";
import { account, connect } from "./helpers/fixture.js";

const conn = await connect();
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Private key of Hardhat's first default account (well known, test mnemonic). */
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("deployOpg", () => {
  it("default: deploys, wires, registers operators and models, sets the verifier set", async () => {
    const publicClient = await conn.viem.getPublicClient();
    const wallets = await conn.viem.getWalletClients();
    const verifiers = [0, 1, 2, 3].map((i) => account(`deploy-verifier-${i}`));
    const deployment = await deployOpg({
      walletClient: wallets[0]!,
      publicClient,
      registryParams: { challengeWindow: 100n, unbondingDelay: 200n },
      operators: [
        ...verifiers.map((signer, i) => ({ owner: wallets[1 + i]!, signer, role: "verifier" as const })),
        {
          owner: wallets[5]!,
          signer: account("deploy-executor"),
          role: "executor" as const,
          stake: parseEther("3"),
        },
      ],
      models: [
        {
          modelId: keccak256(toHex("m")),
          metadataURI: "ipfs://m",
          modes: modeMask(ProofMode.NONE),
          price: 7n,
        },
      ],
    });
    expect(deployment.chainId).toBe(31337);
    expect(deployment.registryParams).toEqual({
      ...DEFAULT_REGISTRY_PARAMS,
      challengeWindow: 100n,
      unbondingDelay: 200n,
      treasury: getAddress(wallets[0]!.account.address),
    });
    const registry = await conn.viem.getContractAt("OperatorRegistry", deployment.operatorRegistry);
    const hub = await conn.viem.getContractAt("InferenceHub", deployment.inferenceHub);
    const models = await conn.viem.getContractAt("ModelRegistry", deployment.modelRegistry);
    expect(await registry.read.hub()).toBe(getAddress(deployment.inferenceHub));
    expect(await hub.read.operatorRegistry()).toBe(getAddress(deployment.operatorRegistry));
    expect(await hub.read.modelRegistry()).toBe(getAddress(deployment.modelRegistry));
    const enclaves = await conn.viem.getContractAt("EnclaveRegistry", deployment.enclaveRegistry);
    expect(await enclaves.read.hub()).toBe(getAddress(deployment.inferenceHub));
    expect(await enclaves.read.operatorRegistry()).toBe(getAddress(deployment.operatorRegistry));
    expect(await enclaves.read.modelRegistry()).toBe(getAddress(deployment.modelRegistry));
    const [, count, f, signers] = await registry.read.verifierConfig();
    expect([count, f, signers]).toEqual([1n, 1, verifiers.map((v) => v.address)]);
    expect(await registry.read.isActiveExecutor([account("deploy-executor").address])).toBe(true);
    const listing = listingIdOf(keccak256(toHex("m")), wallets[0]!.account.address);
    expect(await models.read.requestTerms([listing])).toEqual([keccak256(toHex("m")), 1, 7n]);
    expect(await models.read.operatorRegistry()).toBe(getAddress(deployment.operatorRegistry));
    const first = await publicClient.getTransactionReceipt({
      hash: (await publicClient.getBlock({ blockNumber: deployment.startBlock, includeTransactions: true }))
        .transactions[0]!.hash,
    });
    expect(getAddress(first.contractAddress!)).toBe(getAddress(deployment.operatorRegistry));

    const dir = await mkdtemp(path.join(tmpdir(), "opg-deploy-"));
    dirs.push(dir);
    const file = await writeDeploymentFile(dir, deployment);
    expect(path.basename(file)).toBe("31337.json");
    expect(await readDeploymentFile(dir, 31337)).toEqual(deployment);
    expect(deploymentFromJson(JSON.parse(JSON.stringify(deploymentToJson(deployment))))).toEqual(deployment);
  });

  it("behavior: a different admin receives a pending ownership transfer", async () => {
    const publicClient = await conn.viem.getPublicClient();
    const wallets = await conn.viem.getWalletClients();
    const admin = wallets[9]!.account.address;
    const d = await deployOpg({ walletClient: wallets[0]!, publicClient, admin });
    const registry = await conn.viem.getContractAt("OperatorRegistry", d.operatorRegistry);
    expect(await registry.read.pendingOwner()).toBe(getAddress(admin));
    expect(await registry.read.treasury()).toBe(getAddress(admin));
  });

  it("error: malformed deployment documents are rejected", () => {
    expect(() => deploymentFromJson({})).toThrow();
    expect(() => deploymentFromJson({ chainId: 1, registryParams: {} })).toThrow(/registryParams/);
    expect(() =>
      deploymentFromJson({ chainId: 1, inferenceHub: "0x1", registryParams: { challengerShareBps: 1 } }),
    ).toThrow(/inferenceHub/);
  });
});

describe("scripts/deploy.ts on a dev chain (@opg/contracts/dev-chain)", () => {
  it("default: deploys over JSON-RPC with a private key and writes deployments/<chainId>.json", async () => {
    const chain = await startDevChain({ chainId: 31338, accounts: 3 });
    try {
      expect(chain.accounts[0]!.privateKey).toBe(HARDHAT_KEY_0);
      const dir = await mkdtemp(path.join(tmpdir(), "opg-deploy-cli-"));
      dirs.push(dir);
      const configFile = path.join(dir, "config.json");
      await writeFile(
        configFile,
        JSON.stringify({
          registryParams: { minVerifierStake: "1000", challengeWindow: "10", unbondingDelay: "20" },
          operators: [
            {
              ownerKey: chain.accounts[1]!.privateKey,
              signerKey: keccak256(toHex("cli-verifier")),
              role: "verifier",
            },
          ],
          verifierF: 0,
        }),
      );
      const { deployment, file } = await runDeployCli(
        ["--", "--rpc-url", chain.rpcUrl, "--out", dir, "--config", configFile],
        { OPG_DEPLOYER_KEY: chain.accounts[0]!.privateKey },
      );
      expect(path.basename(file)).toBe("31338.json");
      const json = JSON.parse(await readFile(file, "utf8"));
      expect(json.chainId).toBe(31338);
      expect(json.inferenceHub).toBe(deployment.inferenceHub);
      expect(json.registryParams.minVerifierStake).toBe("1000");
      expect(typeof json.startBlock).toBe("string");
      const client = createPublicClient({ transport: http(chain.rpcUrl) });
      const [, count, f, signers] = await client.readContract({
        address: deployment.operatorRegistry,
        abi: operatorRegistryAbi,
        functionName: "verifierConfig",
      });
      expect([count, f, signers]).toEqual([
        1n,
        0,
        [privateKeyToAccount(keccak256(toHex("cli-verifier"))).address],
      ]);
      await expect(runDeployCli(["--rpc-url", chain.rpcUrl], {})).rejects.toThrow(/private-key/);
      await expect(runDeployCli(["--private-key", HARDHAT_KEY_0], {})).rejects.toThrow(/rpc-url/);
    } finally {
      await chain.close();
    }
  });
});
