import { PACK_BYTES } from "../quant/packInput.js";
import type { ZkLayer, ZkModelSpec, ZkWindow } from "./ZkModelSpec.js";

/** Name of the circom template that every compiled model's main component instantiates. */
export const CIRCUIT_TEMPLATE = "OpgModel";

function list(values: readonly (bigint | number)[]): string {
  return `[${values.join(",")}]`;
}

function matrix(values: readonly bigint[], rows: number, cols: number): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) out.push(list(values.slice(i * cols, (i + 1) * cols)));
  return `[\n        ${out.join(",\n        ")}\n    ]`;
}

function constFn(name: string, values: readonly (bigint | number)[]): string {
  return `function ${name}() {\n    var c[${values.length}] = ${list(values)};\n    return c;\n}`;
}

/** Values produced by a rescale are signals (range-checked); every other value is a linear combination (a var). */
function isSignal(spec: ZkModelSpec, id: number): boolean {
  return (
    id === 0 || spec.layers.some((l) => l.op === "rescale" && l.output === id && (l.shift > 0 || l.relu))
  );
}

/** circom loops over the outputs and in-bounds taps of a window op; `body` sees o, i, j, c, y, xx. */
function windowLoops(w: ZkWindow, conv: boolean, init: string, tap: string, done: string): string[] {
  const [inC, h, wd] = w.inShape;
  const [outC, oh, ow] = w.outShape;
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [pt, pl] = w.pads;
  return [
    `    for (var o = 0; o < ${outC}; o++) {`,
    `    for (var i = 0; i < ${oh}; i++) {`,
    `    for (var j = 0; j < ${ow}; j++) {`,
    `        ${init}`,
    conv ? `        for (var c = 0; c < ${inC}; c++) {` : "        var c = o; {",
    `        for (var ky = 0; ky < ${kh}; ky++) {`,
    `        for (var kx = 0; kx < ${kw}; kx++) {`,
    `            var y = i * ${sh} + ky - ${pt};`,
    `            var xx = j * ${sw} + kx - ${pl};`,
    `            if (y >= 0 && y < ${h} && xx >= 0 && xx < ${wd}) {`,
    `                ${tap}`,
    "            }",
    "        }}}",
    `        ${done}`,
    "    }}}",
  ];
}

/**
 * circom 2 source for a lowered model. Public signals, in this order (circom lists the outputs of
 * main first, then its public inputs): weightsCommitment, inputCommitment, outputCommitment
 * (outputs), executor (the one public input: uint160 of the executor's address, so a proof cannot
 * be claimed by another executor). The input vector `x` is private; in "private" weight mode the
 * parameter vector `w` is a private input too.
 *
 * Constant-weight layers (dense, conv, pooling sums, affine maps, adds, gathers) become circom
 * `var`s holding linear combinations of signals: no constraint and no wire. Only `rescale`
 * (range check of the bits interval analysis proved, optionally with ReLU), `maxPool`
 * comparisons, the uint8 input range check and the Poseidon commitments cost constraints.
 * Requires `circuits/templates/opg.circom` and circomlib on the include path.
 */
export function emitCircom(spec: ZkModelSpec, weightsCommitment: bigint, header: string): string {
  const priv = spec.weightMode === "private";
  const name = (id: number) => (id === 0 ? "x" : `v${id}`);
  const fns: string[] = [];
  const body: string[] = [];
  let wOffset = 0;

  body.push(
    "    // The executor's address (uint160): public, bound to the proof (see below).",
    "    signal input executor;",
    `    signal input x[${spec.input.size}];`,
  );
  if (priv) {
    let n = 0;
    for (const l of spec.layers) {
      if (l.op === "linear") n += l.weights.length + l.bias.length;
      else if (l.op === "affine") n += l.add.length;
    }
    if (n > 0) body.push(`    signal input w[${n}];`);
  }
  body.push(
    "    signal output weightsCommitment;",
    "    signal output inputCommitment;",
    "    signal output outputCommitment;",
  );
  for (let id = 1; id < spec.values.length; id++) {
    body.push(`    ${isSignal(spec, id) ? "signal" : "var"} ${name(id)}[${spec.values[id]!.size}];`);
  }
  if (spec.input.kind === "uint8") {
    body.push(
      "",
      "    // uint8 input: each element range-checked to 8 bits (makes the packed commitment injective).",
      `    component xBits[${spec.input.size}];`,
      `    for (var i = 0; i < ${spec.input.size}; i++) {`,
      "        xBits[i] = Num2Bits(8);",
      "        xBits[i].in <== x[i];",
      "    }",
    );
  }

  spec.layers.forEach((l, k) => {
    emitLayer(spec, l, k);
  });

  function emitLayer(spec: ZkModelSpec, l: ZkLayer, k: number): void {
    body.push("", `    // layer ${k}: ${l.op} (ONNX node "${l.node.replace(/[^\w.:/#-]/g, "_")}")`);
    const out = name(l.output);
    switch (l.op) {
      case "linear": {
        const inp = name(l.input);
        if (priv) {
          const wBase = wOffset;
          const bBase = wOffset + l.weights.length;
          wOffset = bBase + l.bias.length;
          body.push(
            `    signal p${k}[${l.outSize}][${l.inSize}];`,
            `    for (var i = 0; i < ${l.outSize}; i++) {`,
            `        var acc = w[${bBase} + i];`,
            `        for (var j = 0; j < ${l.inSize}; j++) {`,
            `            p${k}[i][j] <== w[${wBase} + i * ${l.inSize} + j] * ${inp}[j];`,
            `            acc += p${k}[i][j];`,
            "        }",
            `        ${out}[i] = acc;`,
            "    }",
          );
        } else {
          fns.push(
            `function L${k}_W() {\n    var w[${l.outSize}][${l.inSize}] = ${matrix(l.weights, l.outSize, l.inSize)};\n    return w;\n}`,
            constFn(`L${k}_B`, l.bias),
          );
          body.push(
            `    var W${k}[${l.outSize}][${l.inSize}] = L${k}_W();`,
            `    var B${k}[${l.outSize}] = L${k}_B();`,
            `    for (var i = 0; i < ${l.outSize}; i++) {`,
            `        var acc = B${k}[i];`,
            `        for (var j = 0; j < ${l.inSize}; j++) {`,
            `            acc += W${k}[i][j] * ${name(l.input)}[j];`,
            "        }",
            `        ${out}[i] = acc;`,
            "    }",
          );
        }
        break;
      }
      case "conv": {
        const [, oh, ow] = l.outShape;
        const [, h, w] = l.inShape;
        const [kh, kw] = l.kernel;
        const c = l.inShape[0];
        fns.push(constFn(`L${k}_W`, l.weights), constFn(`L${k}_B`, l.bias));
        body.push(
          `    var W${k}[${l.weights.length}] = L${k}_W();`,
          `    var B${k}[${l.bias.length}] = L${k}_B();`,
          ...windowLoops(
            l,
            true,
            `var acc = B${k}[o];`,
            `acc += W${k}[((o * ${c} + c) * ${kh} + ky) * ${kw} + kx] * ${name(l.input)}[(c * ${h} + y) * ${w} + xx];`,
            `${out}[(o * ${oh} + i) * ${ow} + j] = acc;`,
          ),
        );
        break;
      }
      case "sumPool": {
        const [, oh, ow] = l.outShape;
        const [, h, w] = l.inShape;
        body.push(
          ...windowLoops(
            l,
            false,
            "var acc = 0;",
            `acc += ${name(l.input)}[(c * ${h} + y) * ${w} + xx];`,
            `${out}[(o * ${oh} + i) * ${ow} + j] = acc * ${l.multiplier};`,
          ),
        );
        break;
      }
      case "maxPool": {
        const [, oh, ow] = l.outShape;
        const [, h, w] = l.inShape;
        let n = 0;
        const [kh, kw] = l.kernel;
        // Count the comparisons (in-bounds taps minus one per output) for the component array.
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let taps = 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const y = i * l.stride[0] + ky - l.pads[0];
                const xx = j * l.stride[1] + kx - l.pads[1];
                if (y >= 0 && y < h && xx >= 0 && xx < w) taps++;
              }
            n += Math.max(taps - 1, 0);
          }
        n *= l.outShape[0];
        body.push(
          `    component mp${k}[${n}];`,
          `    var n${k} = 0;`,
          ...windowLoops(
            l,
            false,
            "var m = 0; var first = 1;",
            [
              `if (first == 1) { m = ${name(l.input)}[(c * ${h} + y) * ${w} + xx]; first = 0; } else {`,
              `                    mp${k}[n${k}] = ReluSigned(${l.bits});`,
              `                    mp${k}[n${k}].in <== ${name(l.input)}[(c * ${h} + y) * ${w} + xx] - m;`,
              `                    m = m + mp${k}[n${k}].out;`,
              `                    n${k}++;`,
              "                }",
            ].join("\n"),
            `${out}[(o * ${oh} + i) * ${ow} + j] = m;`,
          ),
        );
        break;
      }
      case "affine": {
        const n = l.add.length;
        const inp = name(l.input);
        if (priv) {
          body.push(
            `    for (var i = 0; i < ${n}; i++) {`,
            `        ${out}[i] = ${inp}[i] + w[${wOffset} + i];`,
            "    }",
          );
          wOffset += n;
          break;
        }
        fns.push(constFn(`L${k}_A`, l.add));
        if (l.mul) fns.push(constFn(`L${k}_M`, l.mul));
        body.push(
          `    var A${k}[${n}] = L${k}_A();`,
          ...(l.mul ? [`    var M${k}[${n}] = L${k}_M();`] : []),
          `    for (var i = 0; i < ${n}; i++) {`,
          `        ${out}[i] = ${l.mul ? `M${k}[i] * ` : ""}${inp}[i] + A${k}[i];`,
          "    }",
        );
        break;
      }
      case "add":
        body.push(
          `    for (var i = 0; i < ${spec.values[l.output]!.size}; i++) {`,
          `        ${out}[i] = ${name(l.a)}[i] * ${1n << BigInt(l.shiftA)} + ${name(l.b)}[i] * ${1n << BigInt(l.shiftB)};`,
          "    }",
        );
        break;
      case "gather":
        fns.push(constFn(`L${k}_I`, l.indices));
        body.push(
          `    var I${k}[${l.indices.length}] = L${k}_I();`,
          `    for (var i = 0; i < ${l.indices.length}; i++) {`,
          `        ${out}[i] = ${name(l.input)}[I${k}[i]];`,
          "    }",
        );
        break;
      case "rescale": {
        const size = spec.values[l.output]!.size;
        if (l.shift === 0 && !l.relu) {
          body.push(
            `    for (var i = 0; i < ${size}; i++) {`,
            `        ${out}[i] = ${name(l.input)}[i];`,
            "    }",
          );
          break;
        }
        const tpl =
          l.shift === 0
            ? `ReluSigned(${l.bits - 1})`
            : `${l.relu ? "RescaleRelu" : "RescaleSigned"}(${l.shift}, ${l.bits})`;
        body.push(
          `    component r${k}[${size}];`,
          `    for (var i = 0; i < ${size}; i++) {`,
          `        r${k}[i] = ${tpl};`,
          `        r${k}[i].in <== ${name(l.input)}[i];`,
          `        ${out}[i] <== r${k}[i].out;`,
          "    }",
        );
        break;
      }
    }
  }

  const commit = (signal: string, vec: string, n: number) => [
    `    component ${signal}C = VectorCommit(${n});`,
    `    for (var i = 0; i < ${n}; i++) {`,
    `        ${signal}C.in[i] <== ${vec}[i];`,
    "    }",
    `    ${signal} <== ${signal}C.out;`,
  ];
  body.push(
    "",
    "    // public signals",
    "    // The executor takes part in no computation. A public input in no constraint is bound only if",
    "    // the setup adds its own per-input constraint (snarkjs does; other Groth16 backends may not,",
    "    // and then its verification-key point is zero and any value verifies): one quadratic",
    "    // constraint binds it in every case.",
    "    signal executorSquare <== executor * executor;",
  );
  if (priv && wOffset > 0) body.push(...commit("weightsCommitment", "w", wOffset));
  else body.push(`    weightsCommitment <== ${weightsCommitment};`);
  if (spec.input.kind === "uint8") {
    const n = spec.input.size;
    const packed = Math.ceil(n / PACK_BYTES);
    body.push(
      `    // ${PACK_BYTES} bytes per field element, little-endian: P_k = sum_j x[${PACK_BYTES}k + j] * 256^j.`,
      `    var xPacked[${packed}];`,
      `    for (var p = 0; p < ${packed}; p++) {`,
      "        var acc = 0;",
      `        for (var j = 0; j < ${PACK_BYTES}; j++) {`,
      `            if (p * ${PACK_BYTES} + j < ${n}) {`,
      `                acc += x[p * ${PACK_BYTES} + j] * (256 ** j);`,
      "            }",
      "        }",
      "        xPacked[p] = acc;",
      "    }",
      ...commit("inputCommitment", "xPacked", packed),
    );
  } else body.push(...commit("inputCommitment", "x", spec.input.size));
  body.push(...commit("outputCommitment", name(spec.outputValue), spec.output.size));

  return [
    "pragma circom 2.1.0;",
    "",
    ...header.split("\n").map((h) => `// ${h}`),
    "",
    'include "opg.circom";',
    "",
    ...fns.flatMap((f) => [f, ""]),
    `template ${CIRCUIT_TEMPLATE}() {`,
    ...body,
    "}",
    "",
    `component main {public [executor]} = ${CIRCUIT_TEMPLATE}();`,
    "",
  ].join("\n");
}
