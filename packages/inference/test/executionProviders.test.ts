import { addModel } from "@opg/testkit";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  createSession,
  detectCuda,
  identityModelBytes,
  resolveProviders,
  type SessionTuning,
} from "../src/index.js";
import { memoryLogger } from "./helpers.js";

const tuning: SessionTuning = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  cudaDeviceId: 0,
};

describe("execution providers", () => {
  it("default", async () => {
    const { logger } = memoryLogger();
    const { providers, cuda } = await resolveProviders(["cuda", "cpu"], tuning, logger);
    // The npm package ships no CUDA provider libraries (its install script was not run here).
    expect(cuda.available).toBe(detectCuda().available);
    if (!cuda.available) {
      expect(providers).toEqual(["cpu"]);
      expect(cuda.reason).toContain("libonnxruntime_providers");
    }
  });

  it("behavior: unknown providers are skipped; cpu is the last resort", async () => {
    const { logger, entries } = memoryLogger();
    expect((await resolveProviders(["bogus", "cpu"], tuning, logger)).providers).toEqual(["cpu"]);
    expect(
      entries.some((e) => e.level === "warn" && (e.obj as { provider?: string }).provider === "bogus"),
    ).toBe(true);
    expect((await resolveProviders(["bogus"], tuning, logger)).providers).toEqual(["cpu"]);
  });

  it("behavior: a provider that cannot create the session falls back to the next one", async () => {
    const { logger, entries } = memoryLogger();
    // Forcing "cuda" without its libraries fails inside onnxruntime, as on a machine without a GPU.
    const preference = detectCuda().available ? ["bogus-provider", "cpu"] : ["cuda", "cpu"];
    const { session, provider } = await createSession(addModel(), preference, tuning, logger);
    expect(provider).toBe("cpu");
    expect(
      entries.some((e) => e.level === "warn" && e.msg === "session creation failed on this provider"),
    ).toBe(true);
    await session.release();
  });

  it("error: no provider can load the model", async () => {
    const { logger } = memoryLogger();
    await expect(createSession(new Uint8Array([1, 2, 3]), ["cpu"], tuning, logger)).rejects.toMatchObject({
      code: "SESSION_FAILED",
    });
  });
});

describe("identityModelBytes", () => {
  it("default", async () => {
    const decoded = onnxProto.onnx.ModelProto.decode(identityModelBytes());
    expect(decoded.graph?.node?.[0]?.opType).toBe("Identity");
    expect(Number(decoded.opsetImport?.[0]?.version)).toBe(13);
    const session = await ort.InferenceSession.create(identityModelBytes(), { executionProviders: ["cpu"] });
    const result = await session.run({ x: new ort.Tensor("float32", new Float32Array([42]), [1]) });
    expect((result["y"] as ort.Tensor).data).toEqual(new Float32Array([42]));
    await session.release();
  });
});
