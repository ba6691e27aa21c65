/**
 * Tensor element types. Codes are ONNX `TensorProto.DataType` values so that the canonical
 * encoding can be read next to ONNX tooling.
 */
export const DTYPES = {
  float32: { code: 1, size: 4 },
  uint8: { code: 2, size: 1 },
  int8: { code: 3, size: 1 },
  uint16: { code: 4, size: 2 },
  int16: { code: 5, size: 2 },
  int32: { code: 6, size: 4 },
  int64: { code: 7, size: 8 },
  bool: { code: 9, size: 1 },
  float16: { code: 10, size: 2 },
  float64: { code: 11, size: 8 },
  uint32: { code: 12, size: 4 },
  uint64: { code: 13, size: 8 },
} as const;

export type DType = keyof typeof DTYPES;

/** The typed array that holds each dtype's elements (float16 as raw uint16 bits). */
export type TensorDataByDType = {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  float16: Uint16Array;
  float64: Float64Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
};

export type TensorData = TensorDataByDType[DType];

/** One tensor: element type, shape, and row-major elements. */
export type Tensor<T extends DType = DType> = {
  [K in T]: { dtype: K; dims: readonly number[]; data: TensorDataByDType[K] };
}[T];

/** Named tensors: a model's inputs or outputs. */
export type TensorMap = Record<string, Tensor>;

const BY_CODE = new Map<number, DType>(
  Object.entries(DTYPES).map(([name, { code }]) => [code, name as DType]),
);

export function dtypeFromCode(code: number): DType | undefined {
  return BY_CODE.get(code);
}

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(DTYPES, value);
}

/** The typed-array constructor that holds each dtype's elements. */
export const TENSOR_ARRAY_TYPES = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  float16: Uint16Array,
  float64: Float64Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
} as const;

/** A zeroed typed array of `length` elements for `dtype`. */
export function allocTensorData<T extends DType>(dtype: T, length: number): TensorDataByDType[T] {
  return new TENSOR_ARRAY_TYPES[dtype](length) as TensorDataByDType[T];
}
