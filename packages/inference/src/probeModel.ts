/**
 * A minimal ONNX model, `y = Identity(x)` with x: float32[1], encoded by hand (protobuf) so that
 * an execution provider can be probed at start without any model file.
 */
export function identityModelBytes(): Uint8Array {
  const dims = message(1, [message(1, [varintField(1, 1)])]); // shape { dim { dim_value: 1 } }
  const tensorType = (name: string) =>
    message(1, [stringField(1, name), message(2, [message(1, [varintField(1, 1), dims])])]); // name, type.tensor_type{elem_type FLOAT, shape}
  const node = message(1, [stringField(1, "x"), stringField(2, "y"), stringField(4, "Identity")]);
  const graph = message(7, [
    node,
    stringField(2, "probe"),
    relabel(tensorType("x"), 11),
    relabel(tensorType("y"), 12),
  ]);
  const opset = message(8, [stringField(1, ""), varintField(2, 13)]);
  return concat([varintField(1, 7), stringField(2, "opg"), graph, opset]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

function bytesField(field: number, bytes: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(text));
}

function message(field: number, parts: Uint8Array[]): Uint8Array {
  return bytesField(field, concat(parts));
}

/** Re-tags an encoded length-delimited field (built as field 1) with another field number. */
function relabel(encoded: Uint8Array, field: number): Uint8Array {
  const tagLength = varint((1 << 3) | 2).length;
  return concat([Uint8Array.from(varint((field << 3) | 2)), encoded.subarray(tagLength)]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
