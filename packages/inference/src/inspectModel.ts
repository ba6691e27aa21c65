import * as ort from "onnxruntime-node";
import { ioFromSession, type ModelIo } from "./modelIo.js";

/** Reads a model's declared inputs and outputs with a throwaway CPU session (throws on invalid models). */
export async function inspectModel(bytes: Uint8Array): Promise<ModelIo> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "disabled",
    logSeverityLevel: 4,
  });
  try {
    return ioFromSession(session);
  } finally {
    await session.release();
  }
}
