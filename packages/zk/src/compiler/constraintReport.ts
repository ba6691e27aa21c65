import { COMMIT_BLOCK } from "../quant/commitVector.js";
import { PACK_BYTES } from "../quant/packInput.js";
import type { ZkModelSpec } from "./ZkModelSpec.js";

/** circomlib PoseidonEx rounds: 8 full rounds, N_ROUNDS_P[t − 2] partial rounds; each S-box x^5 costs 3 constraints. */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/** Constraints of circomlib PoseidonEx(n, 1). */
export function poseidonConstraints(n: number): number {
  const t = n + 1;
  return 3 * (8 * t + N_ROUNDS_P[t - 2]!);
}

/**
 * Constraints of the VectorCommit(n) template (chained PoseidonEx over blocks of 16). The first
 * block's initial state is the constant 0, so circom computes its first S-box at compile time (−3).
 */
export function vectorCommitConstraints(n: number): number {
  if (n === 0) return 0;
  const full = Math.floor(n / COMMIT_BLOCK);
  const rest = n % COMMIT_BLOCK;
  return full * poseidonConstraints(COMMIT_BLOCK) + (rest > 0 ? poseidonConstraints(rest) : 0) - 3;
}

/** One row of the per-layer constraint report. */
export type ConstraintRow = {
  /** Layer index in the spec, or a label for the fixed parts (input range check, commitments). */
  layer: number | "input" | "commitments" | "executor";
  op: string;
  node: string;
  /** Number of output elements. */
  outputs: number;
  /** Signed range (bits) the layer range-checks, when it does. */
  bits?: number;
  constraints: number;
};

/**
 * Where the circuit's constraints go, per layer (the non-linear constraints circom reports with
 * --O2; linear layers cost none). Exact for the generated circuit: tests compare the total with
 * circom's count.
 */
export function constraintReport(spec: ZkModelSpec): { rows: ConstraintRow[]; total: number } {
  const rows: ConstraintRow[] = [];
  const priv = spec.weightMode === "private";
  if (spec.input.kind === "uint8") {
    rows.push({
      layer: "input",
      op: "uint8 range check",
      node: spec.input.name,
      outputs: spec.input.size,
      bits: 8,
      constraints: 8 * spec.input.size,
    });
  }
  let privWeights = 0;
  spec.layers.forEach((l, k) => {
    const outputs = l.op === "add" ? spec.values[l.output]!.size : spec.values[l.output]!.size;
    let constraints = 0;
    let bits: number | undefined;
    switch (l.op) {
      case "linear":
        if (priv) {
          constraints = l.outSize * l.inSize;
          privWeights += l.weights.length + l.bias.length;
        }
        break;
      case "affine":
        if (priv) privWeights += l.add.length;
        break;
      case "rescale":
        if (l.shift > 0 || l.relu) {
          bits = l.bits;
          constraints = outputs * (l.shift > 0 ? l.shift + l.bits + (l.relu ? 1 : 0) : l.bits + 1);
        }
        break;
      case "maxPool": {
        bits = l.bits;
        const [kh, kw] = l.kernel;
        const [, h, w] = l.inShape;
        const [c, oh, ow] = l.outShape;
        let comparisons = 0;
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let taps = 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const y = i * l.stride[0] + ky - l.pads[0];
                const x = j * l.stride[1] + kx - l.pads[1];
                if (y >= 0 && y < h && x >= 0 && x < w) taps++;
              }
            comparisons += Math.max(taps - 1, 0);
          }
        constraints = c * comparisons * (l.bits + 2);
        break;
      }
      default:
        break;
    }
    rows.push({
      layer: k,
      op: l.op,
      node: l.node,
      outputs,
      ...(bits !== undefined ? { bits } : {}),
      constraints,
    });
  });
  const packed = spec.input.kind === "uint8" ? Math.ceil(spec.input.size / PACK_BYTES) : spec.input.size;
  rows.push({
    layer: "commitments",
    op: "Poseidon",
    node: `input ${packed}${spec.input.kind === "uint8" ? " (packed)" : ""}, output ${spec.output.size}${priv ? `, weights ${privWeights}` : ""}`,
    outputs: 3,
    constraints:
      vectorCommitConstraints(packed) +
      vectorCommitConstraints(spec.output.size) +
      // Constant weights: `weightsCommitment <== constant` stays as one linear constraint.
      (priv && privWeights > 0 ? vectorCommitConstraints(privWeights) : 1),
  });
  rows.push({ layer: "executor", op: "executor²", node: "", outputs: 1, constraints: 1 });
  return { rows, total: rows.reduce((s, r) => s + r.constraints, 0) };
}

/** The report as an aligned text table (for CLI output). */
export function formatConstraintReport(report: { rows: ConstraintRow[]; total: number }): string {
  const lines = report.rows.map((r) =>
    [
      String(r.layer).padEnd(12),
      r.op.padEnd(18),
      r.node.slice(0, 28).padEnd(28),
      String(r.outputs).padStart(7),
      (r.bits === undefined ? "" : `${r.bits} b`).padStart(6),
      r.constraints.toLocaleString("en-US").padStart(10),
    ].join(" "),
  );
  const head = [
    "layer".padEnd(12),
    "op".padEnd(18),
    "node".padEnd(28),
    "outputs".padStart(7),
    "range".padStart(6),
    "constraints".padStart(10),
  ].join(" ");
  return [head, ...lines, `${"total".padEnd(77)}${report.total.toLocaleString("en-US").padStart(10)}`].join(
    "\n",
  );
}
