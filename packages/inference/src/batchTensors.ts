import { allocTensorData, type Tensor, type TensorData, type TensorMap } from "@opg/protocol";

/** The common dim 0 of all inputs, or undefined when they disagree or one is a scalar. */
export function batchRows(inputs: TensorMap): number | undefined {
  let rows: number | undefined;
  for (const tensor of Object.values(inputs)) {
    const first = tensor.dims[0];
    if (first === undefined) return undefined;
    if (rows !== undefined && rows !== first) return undefined;
    rows = first;
  }
  return rows;
}

/** Requests with the same key can be concatenated along dim 0 (same names, dtypes and trailing dims). */
export function batchKey(inputs: TensorMap): string {
  return Object.keys(inputs)
    .sort()
    .map((name) => {
      const tensor = inputs[name] as Tensor;
      return `${name}:${tensor.dtype}:${tensor.dims.slice(1).join("x")}`;
    })
    .join("|");
}

/** Concatenates requests along dim 0 (all share `batchKey`). */
export function concatBatch(requests: readonly TensorMap[]): TensorMap {
  const first = requests[0];
  if (!first) throw new RangeError("concatBatch needs at least one request");
  const out: TensorMap = {};
  for (const [name, model] of Object.entries(first)) {
    let rows = 0;
    let length = 0;
    for (const request of requests) {
      const tensor = request[name] as Tensor;
      rows += tensor.dims[0] as number;
      length += tensor.data.length;
    }
    const data = allocTensorData(model.dtype, length);
    let offset = 0;
    for (const request of requests) {
      const tensor = request[name] as Tensor;
      (data as { set(source: TensorData, offset: number): void }).set(tensor.data, offset);
      offset += tensor.data.length;
    }
    out[name] = { dtype: model.dtype, dims: [rows, ...model.dims.slice(1)], data } as Tensor;
  }
  return out;
}

/**
 * Splits batched outputs back into one map per request (`rows[i]` rows each), copying so that
 * no result keeps the others' memory alive. Undefined when an output's dim 0 is not the batch.
 */
export function splitBatch(outputs: TensorMap, rows: readonly number[]): TensorMap[] | undefined {
  const total = rows.reduce((a, b) => a + b, 0);
  const results: TensorMap[] = rows.map(() => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.dims[0] !== total) return undefined;
    const rowSize = total === 0 ? 0 : tensor.data.length / total;
    let offset = 0;
    rows.forEach((count, i) => {
      const data = tensor.data.slice(offset * rowSize, (offset + count) * rowSize);
      (results[i] as TensorMap)[name] = {
        dtype: tensor.dtype,
        dims: [count, ...tensor.dims.slice(1)],
        data,
      } as Tensor;
      offset += count;
    });
  }
  return results;
}
