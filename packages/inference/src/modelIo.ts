import type { DType } from "@opg/protocol";
import type * as ort from "onnxruntime-node";
import { dtypeFromOrt } from "./ortTensor.js";

/** One model input or output as the model declares it. */
export type ModelIoSpec = {
  name: string;
  /** Protocol dtype, or `null` when the type has no protocol equivalent (string, int4, maps…). */
  dtype: DType | null;
  /** onnxruntime's type name (`float32`, `string`, …), or `non-tensor`. */
  ortType: string;
  /** Static dims as numbers, symbolic dims as their name (`""` when unnamed). */
  shape: (number | string)[];
};

export type ModelIo = { inputs: ModelIoSpec[]; outputs: ModelIoSpec[] };

function toSpec(meta: ort.InferenceSession.ValueMetadata): ModelIoSpec {
  if (!meta.isTensor) return { name: meta.name, dtype: null, ortType: "non-tensor", shape: [] };
  return {
    name: meta.name,
    dtype: dtypeFromOrt(meta.type) ?? null,
    ortType: meta.type,
    shape: meta.shape.map((dim) => (typeof dim === "number" && dim < 0 ? "" : dim)),
  };
}

/** Input and output metadata of a live session (onnxruntime-node ≥ 1.21 exposes it). */
export function ioFromSession(session: ort.InferenceSession): ModelIo {
  return ioFromMetadata(session.inputMetadata, session.outputMetadata);
}

/** The same from a session's metadata lists (as a worker thread reports them). */
export function ioFromMetadata(
  inputs: readonly ort.InferenceSession.ValueMetadata[] | readonly MetadataLike[],
  outputs: readonly ort.InferenceSession.ValueMetadata[] | readonly MetadataLike[],
): ModelIo {
  return {
    inputs: inputs.map((m) => toSpec(m as ort.InferenceSession.ValueMetadata)),
    outputs: outputs.map((m) => toSpec(m as ort.InferenceSession.ValueMetadata)),
  };
}

/** Value metadata as plain data: `type` and `shape` present for tensors. */
export type MetadataLike = {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
};

/**
 * True when every input and output has a symbolic first dim: requests can then be concatenated
 * along dim 0 and the outputs split back.
 */
export function hasBatchDim(io: ModelIo): boolean {
  const symbolic = (spec: ModelIoSpec) =>
    spec.dtype !== null && spec.shape.length > 0 && typeof spec.shape[0] === "string";
  return (
    io.inputs.length > 0 && io.outputs.length > 0 && io.inputs.every(symbolic) && io.outputs.every(symbolic)
  );
}

/** A stable key: equal keys mean identical metadata. */
export function ioKey(io: ModelIo): string {
  return JSON.stringify(io);
}
