import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { MemoryCheckpointStore } from "../../src/checkpoint/CheckpointStore.js";
import { FileCheckpointStore } from "../../src/checkpoint/FileCheckpointStore.js";
import { ChainError } from "../../src/errors/ChainError.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "opg-checkpoint-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FileCheckpointStore", () => {
  test("default: no file means no checkpoint", async () => {
    const store = new FileCheckpointStore({ path: join(dir, "cp.json") });
    expect(await store.load()).toBeUndefined();
  });

  test("behavior: saves and loads a block, across instances", async () => {
    const path = join(dir, "nested", "deeper", "cp.json");
    await new FileCheckpointStore({ path }).save(123n);
    expect(await new FileCheckpointStore({ path }).load()).toBe(123n);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ version: 1, block: "123" });
  });

  test("behavior: writes atomically, leaving no temporary files", async () => {
    const path = join(dir, "cp.json");
    const store = new FileCheckpointStore({ path });
    await store.save(1n);
    await store.save(2n ** 70n);
    expect(await store.load()).toBe(2n ** 70n);
    expect(await readdir(dir)).toEqual(["cp.json"]);
  });

  test("behavior: concurrent saves land in call order", async () => {
    const path = join(dir, "cp.json");
    const store = new FileCheckpointStore({ path, fsync: false });
    await Promise.all([1n, 2n, 3n, 4n, 5n].map((b) => store.save(b)));
    expect(await store.load()).toBe(5n);
    expect(await readdir(dir)).toEqual(["cp.json"]);
  });

  test.each([
    ["not JSON", "{", /not valid JSON/],
    ["wrong version", JSON.stringify({ version: 2, block: "1" }), /"version": 1/],
    ["number block", JSON.stringify({ version: 1, block: 5 }), /invalid "block"/],
    ["negative block", JSON.stringify({ version: 1, block: "-1" }), /invalid "block"/],
    ["array", "[]", /"version": 1/],
  ])("error: a corrupt file (%s) fails loudly, naming the file", async (_name, content, message) => {
    const path = join(dir, "cp.json");
    await writeFile(path, content);
    const error = await new FileCheckpointStore({ path }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe("CHECKPOINT_INVALID");
    expect((error as ChainError).message).toContain(path);
    expect((error as ChainError).message).toMatch(message);
  });

  test("error: a negative block is refused", async () => {
    const store = new FileCheckpointStore({ path: join(dir, "cp.json") });
    await expect(store.save(-1n)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  test("args: a path is required", () => {
    expect(() => new FileCheckpointStore({ path: "" })).toThrow(ChainError);
  });
});

describe("MemoryCheckpointStore", () => {
  test("default: starts empty or at the given block", async () => {
    expect(await new MemoryCheckpointStore().load()).toBeUndefined();
    const store = new MemoryCheckpointStore(7n);
    expect(await store.load()).toBe(7n);
    await store.save(9n);
    expect(await store.load()).toBe(9n);
  });
});
