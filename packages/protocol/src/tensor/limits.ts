/** Bounds every tensor codec and validator enforces. */
export type TensorLimits = {
  /** Tensors in one map (a model's inputs or outputs). */
  maxTensors: number;
  /** Dimensions of one tensor. */
  maxRank: number;
  /** Elements of one tensor. */
  maxElements: number;
  /** Bytes of one whole canonical encoding. */
  maxBytes: number;
  /** UTF-8 bytes of one tensor name. */
  maxNameBytes: number;
};

export const DEFAULT_TENSOR_LIMITS: TensorLimits = Object.freeze({
  maxTensors: 64,
  maxRank: 8,
  maxElements: 2 ** 24,
  maxBytes: 64 * 1024 * 1024,
  maxNameBytes: 256,
});
