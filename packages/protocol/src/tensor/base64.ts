/** Node's Buffer when present (fast, native); absent in browsers. */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(data: string, encoding: "base64"): Uint8Array;
      from(data: ArrayBufferLike, offset: number, length: number): { toString(encoding: "base64"): string };
    };
  }
).Buffer;

/** Standard base64 (with padding) of bytes, in any JS runtime. */
export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of a standard base64 string (the caller checks it is canonical), in any JS runtime. */
export function base64ToBytes(data: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(data, "base64");
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const binary = atob(data);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
