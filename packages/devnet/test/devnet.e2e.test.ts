import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpgClient } from "@opg/sdk";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Devnet } from "../src/Devnet.js";
import { runDemo } from "../src/demo.js";
import { devnetModels } from "../src/models.js";

/** The native devnet, as `scripts/devnet` starts it, on fresh ports and a temp dir. */
describe("devnet: the whole network end to end", () => {
  let devnet: Devnet;

  beforeAll(async () => {
    devnet = await Devnet.start({
      dir: mkdtempSync(join(tmpdir(), "opg-devnet-")),
      models: devnetModels(),
      ports: "free",
      // A shared, loaded machine may take longer than the default minute to start five daemons.
      readyTimeoutMs: 240_000,
      log: (line) => console.log(line),
    });
    // Start-up includes the verifiers' phase-2 ceremony for the Iris model.
  }, 900_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("default: the demo — dApp on chain and SDK direct requests — settles and verifies every result", async () => {
    const rows = await runDemo(devnet.demoNetwork(), () => {});
    const modes = new Set(rows.map((r) => r.mode));
    for (const m of devnet.options.models.flatMap((m) => m.modes))
      expect(modes.has(["NONE", "ZK", "TEE"][m]!)).toBe(true);
    for (const r of rows) {
      expect(r.proofChecked).toBe(true);
      // Every result settles in a batch, except the trustless row: settled on chain by its ZK proof.
      if (r.via === "SDK (on chain)") expect(r).toMatchObject({ mode: "ZK", batchId: 0n });
      else expect(r.batchId).toBeGreaterThan(0n);
    }
    expect(rows.some((r) => r.via === "SDK (on chain)" && r.delivered.startsWith("settleWithProof"))).toBe(
      true,
    );
    expect(rows.filter((r) => r.via.startsWith("dApp")).map((r) => r.delivered)).toEqual([
      "callback: setosa",
      "callback: versicolor",
      "callback: virginica",
    ]);
    // Every on-chain row was delivered by an executor on its own, not by the SDK.
    for (const r of rows.filter((r) => r.via !== "SDK (direct)")) expect(r.deliveredBy).toMatch(/^exec-\d /);
  });

  it("behavior: a verifier and an executor killed mid-run lose nothing", async () => {
    const sdk = (exec: number) =>
      createOpgClient({
        rpcUrl: devnet.chain.rpcUrl,
        hub: devnet.net.deployment.inferenceHub,
        execUrl: devnet.execs[exec]!.httpUrl,
        verifyUrl: devnet.verifiers.map((v) => v.httpUrl),
        account: devnet.net.requesterKeys[1]!,
      });
    const modelId = devnet.modelIds.get("iris-mlp")!;
    const input = (i: number) => ({
      input: { dtype: "float32" as const, dims: [1, 4], data: new Float32Array([5 + i / 10, 3, 1.5, 0.2]) },
    });
    const sent: Hex[] = [];
    for (let i = 0; i < 4; i++)
      sent.push((await sdk(i % 2).requestDirect({ modelId, inputs: input(i) })).requestId);
    await devnet.verifiers[2]!.proc.kill("SIGKILL");
    await devnet.execs[1]!.proc.kill("SIGKILL");
    for (let i = 4; i < 8; i++)
      sent.push((await sdk(0).requestDirect({ modelId, inputs: input(i) })).requestId);
    await devnet.verifiers[2]!.proc.start();
    await devnet.execs[1]!.proc.start();
    for (let i = 8; i < 10; i++)
      sent.push((await sdk(1).requestDirect({ modelId, inputs: input(i) })).requestId);

    const client = sdk(0);
    for (const id of sent) {
      const settled = await client.waitForSettlement(id, { timeoutMs: 120_000 });
      expect(settled.batchId).toBeGreaterThan(0n);
      const check = await client.verifyResult(id);
      expect(check.verified).toBe(true);
    }
    // The restarted verifier serves them too (it learns what it missed from republished gossip).
    const only2 = createOpgClient({
      rpcUrl: devnet.chain.rpcUrl,
      hub: devnet.net.deployment.inferenceHub,
      verifyUrl: devnet.verifiers[2]!.httpUrl,
    });
    for (const id of sent)
      expect((await only2.waitForSettlement(id, { timeoutMs: 120_000 })).status).toBe("settled");
  });
});
