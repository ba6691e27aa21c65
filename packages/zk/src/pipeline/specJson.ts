import type { ZkLayer, ZkModelSpec } from "../compiler/ZkModelSpec.js";

/** ZkModelSpec ↔ JSON (bigints as decimal strings). */
export function specToJson(spec: ZkModelSpec): unknown {
  return JSON.parse(JSON.stringify(spec, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

type Json = Record<string, unknown>;

const big = (v: unknown) => BigInt(v as string);
const bigs = (v: unknown) => (v as string[]).map(big);

export function specFromJson(json: unknown): ZkModelSpec {
  const j = json as Json;
  const layers = (j["layers"] as Json[]).map((l): ZkLayer => {
    switch (l["op"]) {
      case "linear":
        return { ...(l as ZkLayer & Json), weights: bigs(l["weights"]), bias: bigs(l["bias"]) } as ZkLayer;
      case "conv":
        return { ...(l as ZkLayer & Json), weights: bigs(l["weights"]), bias: bigs(l["bias"]) } as ZkLayer;
      case "sumPool":
        return { ...(l as ZkLayer & Json), multiplier: big(l["multiplier"]) } as ZkLayer;
      case "affine":
        return {
          ...(l as ZkLayer & Json),
          ...(l["mul"] ? { mul: bigs(l["mul"]) } : {}),
          add: bigs(l["add"]),
        } as ZkLayer;
      default:
        return l as ZkLayer;
    }
  });
  return {
    ...(j as unknown as ZkModelSpec),
    values: (j["values"] as Json[]).map((v) => ({
      size: v["size"] as number,
      bound: big(v["bound"]),
      scale: v["scale"] as number,
    })),
    layers,
  };
}
