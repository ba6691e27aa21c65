import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addModel, matmulModel } from "@opg/testkit";
import { describe, expect, it } from "vitest";
import { InferenceError, inspectModel, ModelStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

function sha256(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

async function openStore(dir = tempDir()): Promise<ModelStore> {
  const store = new ModelStore({ dir }, { inspect: inspectModel });
  await store.open();
  return store;
}

async function inferenceError(promise: Promise<unknown>): Promise<InferenceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof InferenceError)) throw new Error(`expected an InferenceError, got ${String(error)}`);
  return error;
}

describe("ModelStore", () => {
  it("default", async () => {
    const store = await openStore();
    const bytes = addModel();
    const entry = await store.add(bytes, { name: "add" });
    expect(entry).toMatchObject({
      modelId: sha256(bytes),
      file: `${sha256(bytes).slice(2)}.onnx`,
      name: "add",
      bytes: bytes.byteLength,
      inputs: [
        { name: "A", dtype: "float32", ortType: "float32", shape: ["N", 3] },
        { name: "B", dtype: "float32", ortType: "float32", shape: ["N", 3] },
      ],
      outputs: [{ name: "C", dtype: "float32", ortType: "float32", shape: ["N", 3] }],
    });
    expect(store.list()).toEqual([entry]);
    expect(Buffer.from(await store.readVerified(entry.modelId)).equals(Buffer.from(bytes))).toBe(true);
    // The manifest survives a reopen.
    const reopened = await openStore(store.dir);
    expect(reopened.get(entry.modelId)).toEqual(entry);
  });

  it("behavior: adds from a path (streamed hash), idempotently; settings are kept", async () => {
    const store = await openStore();
    const source = join(tempDir(), "matmul.onnx");
    writeFileSync(source, matmulModel());
    const entry = await store.add(source, { batch: { enabled: true, maxBatchSize: 16 } });
    expect(entry.name).toBe("matmul");
    expect(entry.modelId).toBe(sha256(matmulModel()));
    expect(entry.batch).toEqual({ enabled: true, maxBatchSize: 16 });
    expect(await store.add(source, { name: "other" })).toEqual(entry);
    expect(store.list()).toHaveLength(1);
    const configured = await store.configure(entry.modelId, {
      name: "renamed",
      warmup: { inputs: { X: [2, 4] } },
    });
    expect(configured).toMatchObject({ name: "renamed", warmup: { inputs: { X: [2, 4] } } });
  });

  it("behavior: remove deletes the file and the entry", async () => {
    const store = await openStore();
    const entry = await store.add(addModel());
    const file = join(store.dir, entry.file);
    expect(statSync(file).isFile()).toBe(true);
    expect(await store.remove(entry.modelId)).toBe(true);
    expect(() => statSync(file)).toThrow();
    expect(store.list()).toEqual([]);
    expect(await store.remove(entry.modelId)).toBe(false);
  });

  it("error: a model file that no longer hashes to its id is refused", async () => {
    const store = await openStore();
    const entry = await store.add(addModel());
    const file = join(store.dir, entry.file);
    const tampered = readFileSync(file);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    writeFileSync(file, tampered);
    const error = await inferenceError(store.readVerified(entry.modelId));
    expect(error.code).toBe("MODEL_ID_MISMATCH");
    expect(error.details).toContain(sha256(tampered));
  });

  it("error: not an ONNX model", async () => {
    const store = await openStore();
    const error = await inferenceError(store.add(new TextEncoder().encode("definitely not onnx")));
    expect(error.code).toBe("MODEL_INVALID");
    expect(store.list()).toEqual([]);
  });

  it("error: unknown and malformed ids", async () => {
    const store = await openStore();
    expect(() => store.require(`0x${"ab".repeat(32)}`)).toThrow(
      expect.objectContaining({ code: "MODEL_NOT_FOUND" }),
    );
    expect(() => store.require("0x1234")).toThrow(expect.objectContaining({ code: "INVALID_MODEL_ID" }));
    expect((await inferenceError(store.add(join(store.dir, "missing.onnx")))).code).toBe("MODEL_NOT_FOUND");
  });

  it("error: a tampered manifest is refused at open", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const entry = await store.add(addModel());
    const manifestPath = join(dir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    manifest.models[entry.modelId].file = "../../etc/passwd";
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const error = await inferenceError(new ModelStore({ dir }, { inspect: inspectModel }).open());
    expect(error.code).toBe("STORE_INVALID");
    writeFileSync(manifestPath, "{");
    expect((await inferenceError(new ModelStore({ dir }, { inspect: inspectModel }).open())).code).toBe(
      "STORE_INVALID",
    );
  });
});
