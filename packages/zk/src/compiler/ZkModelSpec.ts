/** How the model's parameters enter the circuit. */
export type WeightMode =
  /**
   * Parameters are circuit constants (one circuit and key per model). Cheapest: every
   * constant-weight sum (dense, convolution, pooling, per-channel affine) is a linear combination
   * and costs no constraint. The circuit still outputs the Poseidon commitment to the parameters
   * as a public signal, so the registry check is the same in both modes.
   */
  | "constant"
  /**
   * Parameters are private witness inputs hashed in-circuit to the public weights commitment
   * (one circuit per architecture; the proving key reveals nothing about the weights). Costs one
   * constraint per multiplication plus ~40 constraints per parameter for Poseidon. Dense layers
   * and per-element constants only.
   */
  | "private";

/** Fixed-point and range parameters of a compiled model. */
export type QuantizationParams = {
  /** Weights are integers at scale 2^scaleBits; activations leave every rescale at that scale. */
  scaleBits: number;
  /**
   * Upper limit on the signed range (bits) of a range-checked value. Each rescale gets the range
   * that interval analysis proves (often far less); only where the proven range is wider is the
   * value range-checked to valueBits, and a value outside is a QUANTIZATION_OVERFLOW.
   */
  valueBits: number;
};

/**
 * How the input enters the circuit: `fixed` (float32/float64 tensor, each element quantized at
 * scale 2^s, committed one element per field element) or `uint8` (uint8 tensor, e.g. pixels:
 * integers in [0, 255] at scale 1, range-checked to 8 bits in the circuit and committed packed,
 * 31 per field element; see packInput).
 */
export type ZkInputKind = "fixed" | "uint8";

/** A 2-D window over a [C, H, W] tensor: kernel [kh, kw], stride [sh, sw], pads [top, left, bottom, right]. */
export type ZkWindow = {
  /** [C, H, W] of the input. */
  inShape: [number, number, number];
  /** [C', H', W'] of the output. */
  outShape: [number, number, number];
  kernel: [number, number];
  stride: [number, number];
  pads: [number, number, number, number];
};

/**
 * One lowered operation on flat vectors (row-major, batch 1). Values are indices into `values`.
 * Every op but `rescale` and `maxPool` is exact integer linear algebra with constants: the circuit
 * spends no constraint on it (a linear combination feeds the next range check).
 */
export type ZkLayer =
  | {
      /** y = W·x + b (exact); W at scale 2^s, b at the output's scale. */
      op: "linear";
      node: string;
      input: number;
      output: number;
      inSize: number;
      outSize: number;
      /** outSize × inSize, row-major. */
      weights: bigint[];
      /** outSize entries. */
      bias: bigint[];
    }
  | (ZkWindow & {
      /** 2-D convolution (dilation 1, groups 1, zero padding): y[o,i,j] = b[o] + Σ W[o,c,ky,kx]·x[c, i·sh+ky−pt, j·sw+kx−pl]. */
      op: "conv";
      node: string;
      input: number;
      output: number;
      /** C' × C × kh × kw. */
      weights: bigint[];
      /** C' entries. */
      bias: bigint[];
    })
  | (ZkWindow & {
      /** y = multiplier · Σ window (zero padding): average pooling with the 1/k folded into the scale. */
      op: "sumPool";
      node: string;
      input: number;
      output: number;
      multiplier: bigint;
    })
  | (ZkWindow & {
      /**
       * y = max over the window (padding ignored), as m ← m + ReLU(e − m) per further element;
       * each ReLU range-checks a difference with |e − m| < 2^bits.
       */
      op: "maxPool";
      node: string;
      input: number;
      output: number;
      bits: number;
    })
  | {
      /** y[i] = mul[i]·x[i] + add[i] (mul absent: 1). Per-element constants (Mul/Div/Sub/Add, unfolded BatchNormalization). */
      op: "affine";
      node: string;
      input: number;
      output: number;
      mul?: bigint[];
      add: bigint[];
    }
  | {
      /** y = a·2^shiftA + b·2^shiftB (operands brought to one scale). */
      op: "add";
      node: string;
      a: number;
      b: number;
      output: number;
      shiftA: number;
      shiftB: number;
    }
  | {
      /** y[i] = x[indices[i]] (Transpose): free. */
      op: "gather";
      node: string;
      input: number;
      output: number;
      indices: number[];
    }
  | {
      /**
       * q = floor(x / 2^shift), range-checked to q ∈ [−2^(bits−1), 2^(bits−1)); y = relu ? max(q, 0) : q.
       * shift 0 with relu is a plain range-checked ReLU.
       */
      op: "rescale";
      node: string;
      input: number;
      output: number;
      shift: number;
      relu: boolean;
      bits: number;
    };

export type ZkTensorInfo = {
  /** Graph input/output name. */
  name: string;
  /** Concrete dims (symbolic batch dims are 1). */
  dims: number[];
  size: number;
};

/** One value vector of the lowered model. */
export type ZkValue = {
  size: number;
  /** A proven bound on |v| for every element (interval analysis). */
  bound: bigint;
  /** The integers represent real numbers times 2^scale. */
  scale: number;
};

/** A model lowered to fixed-point vector operations: what the circuit and the TS executor run. */
export type ZkModelSpec = QuantizationParams & {
  weightMode: WeightMode;
  input: ZkTensorInfo & { kind: ZkInputKind };
  /** The output is at scale 2^scaleBits. */
  output: ZkTensorInfo;
  /** Value 0 is the input. */
  values: ZkValue[];
  layers: ZkLayer[];
  outputValue: number;
};
