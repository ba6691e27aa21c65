/** How the model's parameters enter the circuit. */
export type WeightMode =
  /**
   * Parameters are circuit constants (one circuit and key per model). Cheapest: a dense layer
   * costs no multiplication constraints. The circuit still outputs the Poseidon commitment to
   * the parameters as a public signal, so the registry check is the same in both modes.
   */
  | "constant"
  /**
   * Parameters are private witness inputs hashed in-circuit to the public weights commitment
   * (one circuit per architecture; the proving key reveals nothing about the weights). Costs one
   * constraint per multiplication plus ~40 constraints per parameter for Poseidon.
   */
  | "private";

/** Fixed-point and range parameters of a compiled model. */
export type QuantizationParams = {
  /** Values are integers at scale 2^scaleBits. */
  scaleBits: number;
  /** Every range-checked value lies in [-2^(valueBits-1), 2^(valueBits-1)). */
  valueBits: number;
};

/** One lowered operation on flat vectors (row-major, batch 1). Values are indices into `values`. */
export type ZkLayer =
  | {
      /** y = floor((W·x + b) / 2^s), optionally followed by ReLU; W at scale s, b at scale 2s. */
      op: "linear";
      node: string;
      input: number;
      output: number;
      inSize: number;
      outSize: number;
      /** outSize × inSize, row-major, scale 2^s. */
      weights: bigint[];
      /** outSize entries, scale 2^(2s). */
      bias: bigint[];
      relu: boolean;
    }
  | {
      /** y = x + c, c at scale s. */
      op: "addConst";
      node: string;
      input: number;
      output: number;
      constant: bigint[];
    }
  | {
      /** y = a + b. */
      op: "add";
      node: string;
      a: number;
      b: number;
      output: number;
    }
  | {
      /** y = max(x, 0) for |x| < 2^bits (range check of bits + 1 bits). */
      op: "relu";
      node: string;
      input: number;
      output: number;
      bits: number;
    };

export type ZkTensorInfo = {
  /** Graph input/output name. */
  name: string;
  /** Concrete dims (symbolic batch dims are 1). */
  dims: number[];
  size: number;
};

/** A model lowered to fixed-point vector operations: what the circuit and the TS executor run. */
export type ZkModelSpec = QuantizationParams & {
  weightMode: WeightMode;
  input: ZkTensorInfo;
  output: ZkTensorInfo;
  /** Value 0 is the input. `bound` is a proven bound on |v| for every element. */
  values: { size: number; bound: bigint }[];
  layers: ZkLayer[];
  outputValue: number;
};
