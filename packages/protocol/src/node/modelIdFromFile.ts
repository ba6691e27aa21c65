import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Hex } from "viem";

/** `modelId` of an ONNX file, streamed so large models never sit in memory whole (Node only). */
export async function modelIdFromFile(path: string, signal?: AbortSignal): Promise<Hex> {
  const hash = createHash("sha256");
  const stream = createReadStream(
    path,
    signal ? { highWaterMark: 1 << 20, signal } : { highWaterMark: 1 << 20 },
  );
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}
