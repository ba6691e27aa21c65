import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, getAbiItem, http } from "viem";
import { describe, expect, test } from "vitest";
import { inferenceHubAbi } from "../../src/abis.js";
import { MemoryCheckpointStore } from "../../src/checkpoint/CheckpointStore.js";
import { FileCheckpointStore } from "../../src/checkpoint/FileCheckpointStore.js";
import { LogWatcher } from "../../src/watch/LogWatcher.js";

const event = getAbiItem({ abi: inferenceHubAbi, name: "InferenceRequested" });
const client = createPublicClient({ transport: http("http://127.0.0.1:9", { retryCount: 0 }) });
const address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("LogWatcher", () => {
  test.each([
    ["confirmations", { confirmations: -1 }, /confirmations/],
    ["maxBlockRange", { maxBlockRange: 0 }, /maxBlockRange/],
    ["pollIntervalMs", { pollIntervalMs: 0 }, /pollIntervalMs/],
    ["fromBlock", { fromBlock: -1n }, /fromBlock/],
    ["address", { address: [] }, /address/],
  ])("args: an invalid %s is refused", (_name, bad, message) => {
    const create = () =>
      new LogWatcher(
        { address, ...bad },
        { client, checkpoint: new MemoryCheckpointStore(), event, onLog: () => {} },
      );
    expect(create).toThrow(
      expect.objectContaining({ code: "INVALID_OPTIONS", details: expect.stringMatching(message) }),
    );
  });

  test("error: a corrupt checkpoint fails start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "opg-watcher-unit-"));
    try {
      const path = join(dir, "cp.json");
      await writeFile(path, "garbage");
      const watcher = new LogWatcher(
        { address },
        { client, checkpoint: new FileCheckpointStore({ path }), event, onLog: () => {} },
      );
      await expect(watcher.start()).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
      expect(watcher.status().running).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("behavior: resumes after the checkpoint and reports an unreachable RPC without throwing", async () => {
    const errors: string[] = [];
    let resolveError!: () => void;
    const failed = new Promise<void>((r) => {
      resolveError = r;
    });
    const watcher = new LogWatcher(
      {
        address,
        fromBlock: 5n,
        pollIntervalMs: 10,
        backoff: { initialDelayMs: 5, maxDelayMs: 5, factor: 1, jitter: 0 },
      },
      {
        client,
        checkpoint: new MemoryCheckpointStore(41n),
        event,
        onLog: () => {},
        metrics: {
          onRpcError: (code) => {
            errors.push(code);
            resolveError();
          },
        },
      },
    );
    await watcher.start();
    expect(watcher.status().nextBlock).toBe(42n);
    await failed;
    expect(errors[0]).toBe("RPC_UNAVAILABLE");
    expect(watcher.ready()).toBe(false);
    expect(watcher.health()).toMatchObject({
      nextBlock: "42",
      checkpoint: "41",
      lastError: "RPC_UNAVAILABLE",
    });
    await watcher.stop();
    expect(watcher.status().running).toBe(false);
  });
});
