import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeTensors,
  hashEncodedTensors,
  inferRequestBody,
  type ProofMode,
  signInferenceRequest,
  tensorsToJson,
} from "@opg/protocol";
import { addModel } from "@opg/testkit";
import { privateKeyToAddress } from "viem/accounts";
import { Devnet } from "../src/Devnet.js";

/**
 * Starts the devnet topology (processes, 1 s blocks), sends `requests` direct requests a few
 * hundred ms apart and measures, for each, the time from sending it to the executor until a
 * verifier reports it settled on chain.
 */
export async function requestToSettled(opts: {
  requests: number;
  mode: ProofMode;
}): Promise<{ p50: number; p90: number }> {
  const dir = mkdtempSync(join(tmpdir(), "opg-bench-latency-"));
  const modelFile = join(dir, "add.onnx");
  writeFileSync(modelFile, addModel());
  const devnet = await Devnet.start({
    dir,
    ports: "free",
    models: [{ name: "add", file: modelFile, modes: [opts.mode] }],
    verifierFlags: ["--batching.max-batch-age-ms", "300", "--batching.tick-ms", "50"],
  });
  try {
    const modelId = devnet.modelIds.get("add")!;
    const key = devnet.net.requesterKeys[0]!;
    const latencies = await Promise.all(
      Array.from({ length: opts.requests }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 300));
        const inputs = {
          A: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([i, 0, 1]) },
          B: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([1, 1, 1]) },
        };
        const request = {
          requester: privateKeyToAddress(key),
          modelId,
          inputHash: hashEncodedTensors(encodeTensors(inputs)),
          mode: opts.mode,
          nonce: BigInt(i),
          deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
        };
        const { requestId, signature } = signInferenceRequest(key, devnet.domain, request);
        const t0 = performance.now();
        const res = await fetch(new URL("/v1/infer", devnet.execs[i % 2]!.httpUrl), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
        });
        if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status}`);
        for (;;) {
          const r = await fetch(new URL(`/v1/results/${requestId}`, devnet.verifiers[0]!.httpUrl));
          if (r.status === 200 && ((await r.json()) as { status: string }).status === "settled") break;
          if (performance.now() - t0 > 60_000) throw new Error(`request ${i} not settled in 60 s`);
          await new Promise((r2) => setTimeout(r2, 25));
        }
        return performance.now() - t0;
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (p: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
    return { p50: at(0.5), p90: at(0.9) };
  } finally {
    await devnet.stop();
  }
}
