import {
  DEFAULT_TENSOR_LIMITS,
  DTYPES,
  isDType,
  TENSOR_ARRAY_TYPES,
  type Tensor,
  type TensorLimits,
  type TensorMap,
} from "@opg/protocol";
import { InputValidationError } from "./errors.js";
import type { ModelIoSpec } from "./modelIo.js";

/** Limits on a request's inputs: the protocol's tensor limits (`DEFAULT_TENSOR_LIMITS`). */
export type InputLimits = Pick<TensorLimits, "maxTensors" | "maxRank" | "maxElements" | "maxBytes">;

/** 64 tensors, rank 8, 2^24 elements per tensor, 64 MiB of data in all (docs/protocol.md). */
export const defaultInputLimits: InputLimits = DEFAULT_TENSOR_LIMITS;

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === "number" ? d : d === "" ? "?" : d)).join(", ")}]`;
}

/**
 * Checks `inputs` against the model's declared inputs before anything reaches the runtime:
 * names, dtypes, ranks, static dims, consistency of symbolic dims across inputs, element and
 * byte limits, and the data arrays themselves. Throws `InputValidationError` with a bounded code.
 * Returns the values bound to symbolic dims (e.g. `{batch: 4}`).
 */
export function validateInputs(
  inputs: TensorMap,
  specs: readonly ModelIoSpec[],
  limits: InputLimits = defaultInputLimits,
): Record<string, number> {
  if (typeof inputs !== "object" || inputs === null) {
    throw new InputValidationError("INVALID_TENSOR", "Inputs must be an object of named tensors");
  }
  const names = Object.keys(inputs);
  if (names.length > limits.maxTensors) {
    throw new InputValidationError(
      "TOO_MANY_INPUTS",
      `Too many inputs: ${names.length} > ${limits.maxTensors}`,
    );
  }
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const expected = specs.map((s) => s.name).join(", ");
  for (const name of names) {
    if (!byName.has(name)) {
      throw new InputValidationError("UNKNOWN_INPUT", `Unknown input "${name.slice(0, 128)}"`, {
        input: name.slice(0, 128),
        details: `The model's inputs are: ${expected}.`,
      });
    }
  }
  for (const spec of specs) {
    if (!Object.hasOwn(inputs, spec.name)) {
      throw new InputValidationError("MISSING_INPUT", `Missing input "${spec.name}"`, {
        input: spec.name,
        details: `Expected ${spec.dtype ?? spec.ortType} ${describeShape(spec.shape)}.`,
      });
    }
  }
  const bound: Record<string, number> = {};
  const boundBy: Record<string, string> = {};
  let totalBytes = 0;
  for (const spec of specs) {
    const tensor = inputs[spec.name] as Tensor;
    totalBytes += checkTensor(spec, tensor, limits, bound, boundBy);
    if (totalBytes > limits.maxBytes) {
      throw new InputValidationError("TOO_MANY_ELEMENTS", `Inputs exceed ${limits.maxBytes} bytes in all`, {
        input: spec.name,
      });
    }
  }
  return bound;
}

function checkTensor(
  spec: ModelIoSpec,
  tensor: Tensor,
  limits: InputLimits,
  bound: Record<string, number>,
  boundBy: Record<string, string>,
): number {
  const input = spec.name;
  if (typeof tensor !== "object" || tensor === null) {
    throw new InputValidationError("INVALID_TENSOR", `Input "${input}" is not a tensor`, { input });
  }
  if (spec.dtype === null) {
    throw new InputValidationError(
      "UNSUPPORTED_DTYPE",
      `Input "${input}" has type ${spec.ortType}, not supported`,
      {
        input,
      },
    );
  }
  if (!isDType(tensor.dtype)) {
    throw new InputValidationError("DTYPE_MISMATCH", `Input "${input}" has an unknown dtype`, {
      input,
      details: `Expected ${spec.dtype}.`,
    });
  }
  if (tensor.dtype !== spec.dtype) {
    throw new InputValidationError(
      "DTYPE_MISMATCH",
      `Input "${input}" is ${tensor.dtype}, the model expects ${spec.dtype}`,
      {
        input,
      },
    );
  }
  const dims = tensor.dims;
  if (!Array.isArray(dims) || dims.length > limits.maxRank) {
    throw new InputValidationError(
      "INVALID_TENSOR",
      `Input "${input}" dims must be an array of at most ${limits.maxRank} dims`,
      {
        input,
      },
    );
  }
  if (dims.length !== spec.shape.length) {
    throw new InputValidationError(
      "RANK_MISMATCH",
      `Input "${input}" has rank ${dims.length}, the model expects rank ${spec.shape.length}`,
      { input, details: `Expected shape ${describeShape(spec.shape)}.` },
    );
  }
  let elements = 1;
  for (let axis = 0; axis < dims.length; axis++) {
    const dim = dims[axis];
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) {
      throw new InputValidationError(
        "INVALID_TENSOR",
        `Input "${input}" dim ${axis} is not a non-negative integer`,
        {
          input,
        },
      );
    }
    const want = spec.shape[axis];
    if (typeof want === "number" && want !== dim) {
      throw new InputValidationError(
        "DIM_MISMATCH",
        `Input "${input}" dim ${axis} is ${dim}, the model expects ${want}`,
        { input, details: `Expected shape ${describeShape(spec.shape)}.` },
      );
    }
    if (typeof want === "string" && want !== "") {
      const previous = bound[want];
      if (previous !== undefined && previous !== dim) {
        throw new InputValidationError(
          "DIM_MISMATCH",
          `Input "${input}" dim ${axis} (${want}) is ${dim}, but input "${boundBy[want]}" set ${want} = ${previous}`,
          { input },
        );
      }
      bound[want] = dim;
      boundBy[want] = input;
    }
    elements *= dim;
    if (elements > limits.maxElements) {
      throw new InputValidationError(
        "TOO_MANY_ELEMENTS",
        `Input "${input}" has more than ${limits.maxElements} elements`,
        { input },
      );
    }
  }
  const ArrayType = TENSOR_ARRAY_TYPES[tensor.dtype];
  if (!(tensor.data instanceof ArrayType)) {
    throw new InputValidationError(
      "DTYPE_MISMATCH",
      `Input "${input}" data must be a ${ArrayType.name} for dtype ${tensor.dtype}`,
      { input },
    );
  }
  if (tensor.data.length !== elements) {
    throw new InputValidationError(
      "DATA_LENGTH_MISMATCH",
      `Input "${input}" has ${tensor.data.length} elements, its dims [${dims.join(", ")}] need ${elements}`,
      { input },
    );
  }
  if (tensor.dtype === "bool") {
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) {
      if ((data[i] as number) > 1) {
        throw new InputValidationError(
          "INVALID_TENSOR",
          `Input "${input}" is bool but holds a value other than 0/1`,
          {
            input,
          },
        );
      }
    }
  }
  return elements * DTYPES[tensor.dtype].size;
}
