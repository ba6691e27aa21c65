import { appendFileSync, cpSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  EXAMPLE_ARTIFACTS_DIR,
  loadArtifacts,
  loadVerifyingArtifacts,
  ZkArtifactStore,
} from "../src/index.js";

describe("ZkArtifactStore", () => {
  it("behavior: lookups racing the first scan all wait for it and find the model", async () => {
    const probe = new ZkArtifactStore([EXAMPLE_ARTIFACTS_DIR]);
    await probe.scan();
    const [modelId] = probe.models();
    expect(modelId).toBeDefined();
    const store = new ZkArtifactStore([
      join(mkdtempSync(join(tmpdir(), "opg-zk-empty-")), "none"),
      EXAMPLE_ARTIFACTS_DIR,
    ]);
    const found = await Promise.all(Array.from({ length: 8 }, () => store.getVerifying(modelId!)));
    expect(found.every((a) => a?.manifest.modelId.toLowerCase() === modelId)).toBe(true);
  });

  it("edge: an unknown model is undefined, and is not looked for again before rescanMs", async () => {
    const store = new ZkArtifactStore([EXAMPLE_ARTIFACTS_DIR], { rescanMs: 60_000 });
    expect(await store.get(`0x${"00".repeat(32)}`)).toBeUndefined();
    expect(store.models().length).toBe(1);
  });

  it("error: an artifact edited after the build no longer matches its manifest hash and is refused", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "opg-zk-tamper-")), "a");
    cpSync(join(EXAMPLE_ARTIFACTS_DIR, readdirSync(EXAMPLE_ARTIFACTS_DIR)[0]!), dir, { recursive: true });
    await loadArtifacts(dir);
    appendFileSync(join(dir, "circuit.zkey"), "x");
    await expect(loadArtifacts(dir)).rejects.toMatchObject({
      code: "ARTIFACT_MISSING",
      message: expect.stringMatching(/circuit.zkey .* does not match its manifest hash/),
    });
    appendFileSync(join(dir, "verification_key.json"), " ");
    await expect(loadVerifyingArtifacts(dir)).rejects.toMatchObject({
      message: expect.stringMatching(/verification_key.json .* does not match its manifest hash/),
    });
  });
});
