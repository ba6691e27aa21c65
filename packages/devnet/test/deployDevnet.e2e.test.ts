import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpgContracts } from "@opg/chain";
import { HardhatNode } from "@opg/testkit";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { deployDevnet } from "../src/deployDevnet.js";

describe("deployDevnet: the devnet set up with the operators' commands", () => {
  let chain: HardhatNode | undefined;
  afterAll(() => chain?.stop());

  it("default: deploys, registers 3 verifiers and 2 executors, sets the verifier set with f = 1", async () => {
    chain = await HardhatNode.start();
    const dir = mkdtempSync(join(tmpdir(), "opg-devnet-deploy-"));
    const net = await deployDevnet({
      rpcUrl: chain.rpcUrl,
      dir,
      verifiers: 3,
      executors: 2,
      f: 1,
      models: [],
    });
    expect(existsSync(join(dir, "deployments", "31337.json"))).toBe(true);
    const { registry } = new OpgContracts(net.deployment, { client: net.publicClient });
    const set = await registry.getVerifierSet();
    expect(set.f).toBe(1);
    expect(set.signers).toEqual(net.verifierKeys.map((k) => privateKeyToAccount(k).address));
    for (const k of net.executorKeys)
      expect(await registry.isActiveExecutor(privateKeyToAccount(k).address)).toBe(true);
  });
});
