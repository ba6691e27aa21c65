import type { ZkModelSpec } from "./ZkModelSpec.js";

/** Name of the circom template that every compiled model's main component instantiates. */
export const CIRCUIT_TEMPLATE = "OpgModel";

function list(values: readonly bigint[]): string {
  return `[${values.join(",")}]`;
}

function matrix(values: readonly bigint[], rows: number, cols: number): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) out.push(list(values.slice(i * cols, (i + 1) * cols)));
  return `[\n        ${out.join(",\n        ")}\n    ]`;
}

/**
 * circom 2 source for a lowered model. Public signals, in this order (circom lists the outputs of
 * main first, then its public inputs): weightsCommitment, inputCommitment, outputCommitment
 * (outputs), executor (the one public input: uint160 of the executor's address, so a proof cannot
 * be claimed by another executor). The input vector `x` is private; in "private" weight mode the
 * parameter vector `w` is a private input too.
 * Requires `circuits/templates/opg.circom` and circomlib on the include path.
 */
export function emitCircom(spec: ZkModelSpec, weightsCommitment: bigint, header: string): string {
  const S = spec.scaleBits;
  const V = spec.valueBits;
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
      else if (l.op === "addConst") n += l.constant.length;
    }
    if (n > 0) body.push(`    signal input w[${n}];`);
  }
  body.push(
    "    signal output weightsCommitment;",
    "    signal output inputCommitment;",
    "    signal output outputCommitment;",
  );
  for (let id = 1; id < spec.values.length; id++)
    body.push(`    signal ${name(id)}[${spec.values[id]!.size}];`);

  spec.layers.forEach((l, k) => {
    body.push("", `    // layer ${k}: ${l.op} (ONNX node "${l.node.replace(/[^\w.:/#-]/g, "_")}")`);
    const out = name(l.output);
    switch (l.op) {
      case "linear": {
        const inp = name(l.input);
        const tpl = l.relu ? "RescaleRelu" : "RescaleSigned";
        if (priv) {
          const wBase = wOffset;
          const bBase = wOffset + l.weights.length;
          wOffset = bBase + l.bias.length;
          body.push(
            `    signal p${k}[${l.outSize}][${l.inSize}];`,
            `    component r${k}[${l.outSize}];`,
            `    for (var i = 0; i < ${l.outSize}; i++) {`,
            `        var acc = w[${bBase} + i];`,
            `        for (var j = 0; j < ${l.inSize}; j++) {`,
            `            p${k}[i][j] <== w[${wBase} + i * ${l.inSize} + j] * ${inp}[j];`,
            `            acc += p${k}[i][j];`,
            "        }",
            `        r${k}[i] = ${tpl}(${S}, ${V});`,
            `        r${k}[i].in <== acc;`,
            `        ${out}[i] <== r${k}[i].out;`,
            "    }",
          );
        } else {
          fns.push(
            `function L${k}_W() {\n    var w[${l.outSize}][${l.inSize}] = ${matrix(l.weights, l.outSize, l.inSize)};\n    return w;\n}`,
            `function L${k}_B() {\n    var b[${l.outSize}] = ${list(l.bias)};\n    return b;\n}`,
          );
          body.push(
            `    var W${k}[${l.outSize}][${l.inSize}] = L${k}_W();`,
            `    var B${k}[${l.outSize}] = L${k}_B();`,
            `    component r${k}[${l.outSize}];`,
            `    for (var i = 0; i < ${l.outSize}; i++) {`,
            `        var acc = B${k}[i];`,
            `        for (var j = 0; j < ${l.inSize}; j++) {`,
            `            acc += W${k}[i][j] * ${inp}[j];`,
            "        }",
            `        r${k}[i] = ${tpl}(${S}, ${V});`,
            `        r${k}[i].in <== acc;`,
            `        ${out}[i] <== r${k}[i].out;`,
            "    }",
          );
        }
        break;
      }
      case "addConst": {
        const n = l.constant.length;
        if (priv) {
          body.push(
            `    for (var i = 0; i < ${n}; i++) {`,
            `        ${out}[i] <== ${name(l.input)}[i] + w[${wOffset} + i];`,
            "    }",
          );
          wOffset += n;
        } else {
          fns.push(`function L${k}_C() {\n    var c[${n}] = ${list(l.constant)};\n    return c;\n}`);
          body.push(
            `    var C${k}[${n}] = L${k}_C();`,
            `    for (var i = 0; i < ${n}; i++) {`,
            `        ${out}[i] <== ${name(l.input)}[i] + C${k}[i];`,
            "    }",
          );
        }
        break;
      }
      case "add":
        body.push(
          `    for (var i = 0; i < ${spec.values[l.output]!.size}; i++) {`,
          `        ${out}[i] <== ${name(l.a)}[i] + ${name(l.b)}[i];`,
          "    }",
        );
        break;
      case "relu":
        body.push(
          `    component r${k}[${spec.values[l.output]!.size}];`,
          `    for (var i = 0; i < ${spec.values[l.output]!.size}; i++) {`,
          `        r${k}[i] = ReluSigned(${l.bits});`,
          `        r${k}[i].in <== ${name(l.input)}[i];`,
          `        ${out}[i] <== r${k}[i].out;`,
          "    }",
        );
        break;
    }
  });

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
  body.push(...commit("inputCommitment", "x", spec.input.size));
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
