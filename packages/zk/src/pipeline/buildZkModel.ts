import { readFile } from "node:fs/promises";
import { type CompileOptions, compileModel } from "../compiler/compileModel.js";
import { type BuildArtifactsOptions, buildArtifacts } from "./buildArtifacts.js";
import type { ZkArtifacts } from "./ZkArtifacts.js";

/**
 * ONNX model (file path or bytes) → compiled circuit → cached artifacts, in one call: what an
 * operator's "register a model for ZK mode" step runs. Cheap when the cache already holds the
 * artifacts (only the ONNX file is parsed and hashed).
 */
export async function buildZkModel(
  onnx: string | Uint8Array,
  options: Partial<CompileOptions> & BuildArtifactsOptions,
): Promise<ZkArtifacts> {
  const bytes = typeof onnx === "string" ? new Uint8Array(await readFile(onnx)) : onnx;
  const { scaleBits, valueBits, weightMode, ...build } = options;
  const compileOptions: Partial<CompileOptions> = {};
  if (scaleBits !== undefined) compileOptions.scaleBits = scaleBits;
  if (valueBits !== undefined) compileOptions.valueBits = valueBits;
  if (weightMode !== undefined) compileOptions.weightMode = weightMode;
  return buildArtifacts(await compileModel(bytes, compileOptions), build);
}
