import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Hex } from "viem";

/** `modelId` of ONNX file bytes: sha256 as a 0x-prefixed bytes32. */
export function modelIdFromBytes(bytes: Uint8Array): Hex {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

/** `modelId` of an ONNX file, streamed so large models never sit in memory whole. */
export async function modelIdFromFile(path: string, signal?: AbortSignal): Promise<Hex> {
  const hash = createHash("sha256");
  const stream = createReadStream(
    path,
    signal ? { highWaterMark: 1 << 20, signal } : { highWaterMark: 1 << 20 },
  );
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}
