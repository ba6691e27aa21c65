import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { createLogger } from "@opg/daemon";
import { OperatorHealth, registerOperator } from "@opg/runtime";
import { deployLocalNetwork, devPrivateKey, HardhatNode, type LocalNetwork } from "@opg/testkit";
import { type Address, type Hex, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setMinStakes, setVerifierSet } from "../src/network.js";

const logger = createLogger({ level: "silent" });

describe("OperatorHealth: the reasons of a degraded node, against a real chain", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({ rpcUrl: chain.rpcUrl, verifiers: 1, executors: 1, f: 0 });
  });

  afterAll(() => chain?.stop());

  const client = () => createChainClient({ rpcUrl: chain.rpcUrl, chainId: 31337 });

  async function reasons(
    signer: Address,
    role: "executor" | "verifier",
    opts: { peers?: number; rpcUrl?: string } = {},
  ): Promise<string[]> {
    const rpcUrl = opts.rpcUrl ?? chain.rpcUrl;
    const health = new OperatorHealth(
      {
        role,
        rpcUrl,
        cliName: `opg-${role === "executor" ? "exec" : "verify"}`,
        intervalMs: 60_000,
        minBalance: 10n ** 15n,
      },
      {
        client: createChainClient({ rpcUrl, chainId: 31337, retryCount: 0 }),
        operatorRegistry: net.deployment.operatorRegistry,
        signer,
        logger,
        peers: () => opts.peers ?? 1,
      },
    );
    await health.check(false);
    return health.problems();
  }

  async function owner(key: Hex) {
    const account = privateKeyToAccount(key);
    const sender = new TxSender(
      { chainId: 31337, receiptPollIntervalMs: 100 },
      { client: client(), account, logger },
    );
    sender.start();
    return { account, sender, contracts: new OpgContracts(net.deployment, { client: client(), sender }) };
  }

  it("default: an active verifier in the set, funded, with peers, has no reasons", async () => {
    const verifier = privateKeyToAccount(net.verifierKeys[0]!).address;
    expect(await reasons(verifier, "verifier")).toEqual([]);
    const executor = privateKeyToAccount(net.executorKeys[0]!).address;
    expect(await reasons(executor, "executor")).toEqual([]);
  });

  it("behavior: no peers, an unfunded and unregistered key, a chain that does not answer", async () => {
    const verifier = privateKeyToAccount(net.verifierKeys[0]!).address;
    expect(await reasons(verifier, "verifier", { peers: 0 })).toEqual([
      expect.stringMatching(/^no p2p peers/),
    ]);
    const fresh = privateKeyToAccount(generatePrivateKey()).address;
    const found = await reasons(fresh, "executor");
    expect(found[0]).toBe(
      `signer ${fresh} holds 0 ETH, under the 0.001 ETH it needs for gas: send ETH to ${fresh}`,
    );
    expect(found[1]).toMatch(new RegExp(`^signer ${fresh} is not registered .*opg-exec register --stake`));
    expect(await reasons(verifier, "verifier", { rpcUrl: "http://127.0.0.1:9" })).toEqual([
      expect.stringMatching(/^chain unreachable at http:\/\/127\.0\.0\.1:9 .*chain\.rpcUrl/),
    ]);
  });

  it("behavior: a registered verifier outside the active set, then a stake under a raised minimum", async () => {
    const key = devPrivateKey(15);
    const op = await owner(key);
    await registerOperator({
      contracts: op.contracts,
      client: client(),
      account: op.account,
      role: "verifier",
      stake: parseEther("1"),
      cliName: "opg-verify",
    });
    op.sender.stop();
    const signer = op.account.address;
    expect(await reasons(signer, "verifier")).toEqual([
      `verifier ${signer} is not in the active verifier set: results it verifies do not settle; the network owner adds it (opg-admin verifiers set … ${signer})`,
    ]);

    const admin = await owner(net.deployerKey);
    const first = privateKeyToAccount(net.verifierKeys[0]!).address;
    await setVerifierSet(admin.contracts, [first, signer], 0);
    expect(await reasons(signer, "verifier")).toEqual([]);
    await setMinStakes(admin.contracts, parseEther("0.1"), parseEther("1.5"));
    const under = await reasons(signer, "verifier");
    expect(under[0]).toMatch(/stakes 1 ETH, under the verifier minimum of 1\.5 ETH: add 0\.5 ETH/);
    await setMinStakes(admin.contracts, parseEther("0.1"), parseEther("1"));
    admin.sender.stop();
  });
});
