// Worker thread of ZkProver: witness generation + Groth16 proving, off the caller's event loop.
// Self-contained on purpose (imports only node: and snarkjs, types aside) so Node can run it
// straight from the TypeScript source (type stripping) as well as from dist/.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import workerThreads from "node:worker_threads";
import type { BnCurve, Point, ThreadTask, WasmCurveGroup } from "ffjavascript";
import type * as Snarkjs from "snarkjs";
import type { SnarkjsGroth16Proof } from "../proof/snarkjsTypes.js";

// ffjavascript (under snarkjs) starts its own threads through the `web-worker` package, which
// decides at load time whether it runs in *its* worker by reading `isMainThread`. Inside this
// worker that check would wrongly take the worker branch and crash, so load snarkjs while the
// flag reads true (only web-worker's module evaluation sees it), then restore it.
const threadsExports = workerThreads as { isMainThread: boolean };
threadsExports.isMainThread = true;
const snarkjs: typeof Snarkjs = await import("snarkjs");
threadsExports.isMainThread = false;
const { parentPort } = workerThreads;

type WitnessCalculator = {
  /** The witness as n × 32 bytes, little-endian, normal (not Montgomery) form. */
  calculateBinWitness(input: Record<string, unknown>, sanityCheck: number): Promise<Uint8Array>;
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck: number): Promise<Uint8Array>;
};

/** Which Groth16 prover runs: this file's (default) or snarkjs.groth16.prove (baseline). */
export type ProveEngine = "opg" | "snarkjs";

type Circuit = { wc: WitnessCalculator; zkey: Uint8Array; key?: ProvingKey };

export type ProveJob = {
  type: "prove";
  id: number;
  key: string;
  wasmPath: string;
  zkeyPath: string;
  witnessCalculatorPath: string;
  input: Record<string, string | string[]>;
  engine?: ProveEngine;
};
/** Load a circuit and the curve ahead of the first proof. */
export type LoadJob = Omit<ProveJob, "type" | "input"> & { type: "load" };
export type ProveReply =
  | {
      type: "result";
      id: number;
      proof: SnarkjsGroth16Proof;
      publicSignals: string[];
      witnessMs: number;
      proveMs: number;
    }
  | { type: "loaded"; id: number }
  | { type: "error"; id: number; message: string };

const MAX_CIRCUITS = 8;
const requireCjs = createRequire(import.meta.url);
const circuits = new Map<string, Promise<Circuit>>();

function bn128(): Promise<BnCurve> {
  return snarkjs.curves.getCurveFromName("bn128") as Promise<BnCurve>;
}

async function loadCircuit(job: ProveJob | LoadJob): Promise<Circuit> {
  const builder = requireCjs(job.witnessCalculatorPath) as (
    code: Uint8Array,
    options: object,
  ) => Promise<WitnessCalculator>;
  const [wasm, zkey] = await Promise.all([readFile(job.wasmPath), readFile(job.zkeyPath)]);
  const bytes = new Uint8Array(zkey);
  const wc = await builder(new Uint8Array(wasm), {});
  // The parsed proving key is only needed by the opg engine.
  if (job.engine === "snarkjs") return { wc, zkey: bytes };
  return { wc, zkey: bytes, key: parseProvingKey(await bn128(), bytes) };
}

function circuit(job: ProveJob | LoadJob): Promise<Circuit> {
  let c = circuits.get(job.key);
  if (!c) {
    if (circuits.size >= MAX_CIRCUITS) circuits.delete(circuits.keys().next().value as string);
    c = loadCircuit(job);
    c.catch(() => circuits.delete(job.key));
    circuits.set(job.key, c);
  }
  return c;
}

async function prove(job: ProveJob): Promise<ProveReply> {
  try {
    const c = await circuit(job);
    if (job.engine === "snarkjs") {
      const t0 = performance.now();
      const wtns = await c.wc.calculateWTNSBin(job.input, 0);
      const t1 = performance.now();
      const { proof, publicSignals } = await snarkjs.groth16.prove(
        { type: "mem", data: c.zkey },
        { type: "mem", data: wtns },
      );
      const t2 = performance.now();
      return { type: "result", id: job.id, proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
    }
    const curve = await bn128();
    const key = c.key ?? parseProvingKey(curve, c.zkey);
    c.key = key;
    const t0 = performance.now();
    const witness = await c.wc.calculateBinWitness(job.input, 0);
    const t1 = performance.now();
    const { proof, publicSignals } = await groth16Prove(curve, key, witness);
    const t2 = performance.now();
    return { type: "result", id: job.id, proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
  } catch (e) {
    return { type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// Groth16 proving (BN254) on ffjavascript's engine: the same mathematics and key format as
// snarkjs.groth16.prove, organised for repeated proofs with one key.
//
//  - The zkey is parsed once per circuit: header points, the QAP coefficients pre-split into one
//    part per engine thread (balanced by count), and per point section the indices of the
//    non-zero bases (about 15% of the B bases are the point at infinity: those wires never
//    occur in a B polynomial).
//  - A·w, B·w and C = A∘B are evaluated in WebAssembly (`qap_buildABC`) on every thread instead
//    of snarkjs' single-threaded JavaScript loop.
//  - The multi-exponentiations skip zero witness values and zero bases, sum the bases of witness
//    values 1 (range-check bits) with a 1-bit window, run values below 2^64 with 64-bit scalars
//    and only the rest (Poseidon states, negative numbers) with full 254-bit scalars; the window
//    width is chosen per class from its size.
//  - Everything independent runs at once (A, B1, B2, C and the QAP → FFT → H chain), so the
//    engine's threads stay busy.
// None of this changes what is proven: the proof is a standard Groth16 proof for the key
// (randomised with fresh r, s), checked against snarkjs' verifier in the tests.
// ---------------------------------------------------------------------------------------------

const N8 = 32;
/** Scalar bytes of the classes 1 (value 1), 2 (< 2^64), 3 (full). */
const CLASS_BYTES = [0, 1, 8, N8] as const;
/** Tasks per thread and multi-exponentiation: small enough to balance the threads. */
const TASKS_PER_THREAD = 4;

type Section = { bases: Uint8Array; nonZero: Uint32Array; size: number; first: number };

export type ProvingKey = {
  nVars: number;
  nPublic: number;
  domainSize: number;
  alpha1: Point;
  beta1: Point;
  beta2: Point;
  delta1: Point;
  delta2: Point;
  /** QAP coefficients (m, c, s, value·R²) split by constraint row, one part per thread. */
  coefParts: { buf: Uint8Array; n: number; offset: number; nOut: number }[];
  A: Section;
  B1: Section;
  B2: Section;
  C: Section;
  H: Uint8Array;
};

/** Parse a snarkjs Groth16 zkey (BN254) into what `groth16Prove` needs. */
export function parseProvingKey(curve: BnCurve, bytes: Uint8Array): ProvingKey {
  const { G1, G2 } = curve;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string) => new Error(`Not a BN254 Groth16 zkey: ${what}.`);
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 4)) !== "zkey") throw fail("magic");
  const sections = new Map<number, Uint8Array>();
  let p = 12;
  for (let i = dv.getUint32(8, true); i > 0; i--) {
    if (p + 12 > bytes.length) throw fail("truncated");
    const type = dv.getUint32(p, true);
    const size = Number(dv.getBigUint64(p + 4, true));
    if (p + 12 + size > bytes.length) throw fail("truncated");
    if (sections.has(type)) throw fail(`section ${type} twice`);
    sections.set(type, bytes.subarray(p + 12, p + 12 + size));
    p += 12 + size;
  }
  const section = (t: number) => {
    const s = sections.get(t);
    if (!s) throw fail(`section ${t} missing`);
    return s;
  };
  const proto = section(1);
  if (proto.length !== 4 || new DataView(proto.buffer, proto.byteOffset).getUint32(0, true) !== 1)
    throw fail("protocol");
  const h = section(2);
  const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  let o = 0;
  const u32 = () => {
    const v = hv.getUint32(o, true);
    o += 4;
    return v;
  };
  const bigLE = (n: number) => {
    let x = 0n;
    for (let k = n - 1; k >= 0; k--) x = (x << 8n) | BigInt(h[o + k]!);
    o += n;
    return x;
  };
  if (u32() !== N8 || bigLE(N8) !== curve.q) throw fail("base field");
  if (u32() !== N8 || bigLE(N8) !== curve.r) throw fail("scalar field");
  const nVars = u32();
  const nPublic = u32();
  const domainSize = u32();
  const g1 = () => {
    const r = G1.fromRprLEM(h, o);
    o += 2 * N8;
    return r;
  };
  const g2 = () => {
    const r = G2.fromRprLEM(h, o);
    o += 4 * N8;
    return r;
  };
  const alpha1 = g1();
  const beta1 = g1();
  const beta2 = g2();
  g2(); // gamma2: verification only
  const delta1 = g1();
  const delta2 = g2();

  // QAP coefficients: u32 count, then (u32 m, u32 c, u32 s, 32-byte value) each.
  const coefs = section(4);
  const cv = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  const nCoefs = cv.getUint32(0, true);
  const sCoef = 12 + N8;
  if (coefs.length !== 4 + nCoefs * sCoef) throw fail("coefficients");
  const row = (i: number) => cv.getUint32(4 + i * sCoef + 4, true);
  const perRow = new Uint32Array(domainSize);
  for (let i = 0; i < nCoefs; i++) {
    const r = row(i);
    if (r >= domainSize) throw fail("coefficient row");
    perRow[r]!++;
  }
  const threads = curve.tm.concurrency;
  const cuts = [0];
  let acc = 0;
  for (let r = 0; r < domainSize && cuts.length < threads; r++) {
    acc += perRow[r]!;
    if (acc >= (nCoefs * cuts.length) / threads) cuts.push(r + 1);
  }
  while (cuts.length <= threads) cuts.push(domainSize);
  cuts[threads] = domainSize;
  const partOf = (r: number) => {
    let t = 0;
    while (r >= cuts[t + 1]!) t++;
    return t;
  };
  const counts = new Array<number>(threads).fill(0);
  for (let i = 0; i < nCoefs; i++) counts[partOf(row(i))]!++;
  const bufs = counts.map((n) => new Uint8Array(n * sCoef));
  const fill = new Array<number>(threads).fill(0);
  for (let i = 0; i < nCoefs; i++) {
    const t = partOf(row(i));
    bufs[t]!.set(coefs.subarray(4 + i * sCoef, 4 + (i + 1) * sCoef), fill[t]! * sCoef);
    fill[t]!++;
  }
  const coefParts = bufs
    .map((buf, t) => ({ buf, n: counts[t]!, offset: cuts[t]!, nOut: cuts[t + 1]! - cuts[t]! }))
    .filter((part) => part.nOut > 0);

  const points = (t: number, size: number, first: number, count: number): Section => {
    const bases = section(t).slice();
    if (bases.length !== count * size) throw fail(`section ${t} size`);
    const idx: number[] = [];
    for (let k = 0; k < count; k++) {
      for (let j = 0; j < size; j++) {
        if (bases[k * size + j] !== 0) {
          idx.push(k + first);
          break;
        }
      }
    }
    return { bases, nonZero: Uint32Array.from(idx), size, first };
  };
  return {
    nVars,
    nPublic,
    domainSize,
    alpha1,
    beta1,
    beta2,
    delta1,
    delta2,
    coefParts,
    A: points(5, 2 * N8, 0, nVars),
    B1: points(6, 2 * N8, 0, nVars),
    B2: points(7, 4 * N8, 0, nVars),
    C: points(8, 2 * N8, nPublic + 1, nVars - nPublic - 1),
    H: section(9).slice(),
  };
}

/** A Groth16 proof (snarkjs' object form) and the public signals, from a full witness. */
export async function groth16Prove(
  curve: BnCurve,
  key: ProvingKey,
  witness: Uint8Array,
): Promise<{ proof: SnarkjsGroth16Proof; publicSignals: string[] }> {
  const { Fr, G1, G2 } = curve;
  if (witness.length !== key.nVars * N8) {
    throw new Error(`Invalid witness length. Circuit: ${key.nVars}, witness: ${witness.length / N8}`);
  }
  const cls = classify(witness);
  const h = (async () => {
    const [a, b, c] = await buildABC(curve, key, witness);
    const power = Math.log2(key.domainSize);
    const inc = power === Fr.s ? Fr.shift : Fr.w[power + 1]!;
    // Evaluations on the odd coset (snarkjs' construction): ifft, multiply by inc^i, fft.
    const coset = async (x: Uint8Array) => Fr.fft(await Fr.batchApplyKey(await Fr.ifft(x), Fr.e(1), inc));
    const [ao, bo, co] = await Promise.all([coset(a!), coset(b!), coset(c!)]);
    return multiExp(curve, G1, key.H, await joinABC(curve, ao, bo, co), N8, key.domainSize, 254);
  })();
  const [pa, pb1, pb2, pc, ph] = await Promise.all([
    sectionMultiExp(curve, G1, key.A, witness, cls),
    sectionMultiExp(curve, G1, key.B1, witness, cls),
    sectionMultiExp(curve, G2, key.B2, witness, cls),
    sectionMultiExp(curve, G1, key.C, witness, cls),
    h,
  ]);
  const r = Fr.random();
  const s = Fr.random();
  const piA = G1.add(G1.add(pa, key.alpha1), G1.timesFr(key.delta1, r));
  const piB = G2.add(G2.add(pb2, key.beta2), G2.timesFr(key.delta2, s));
  const b1 = G1.add(G1.add(pb1, key.beta1), G1.timesFr(key.delta1, s));
  let piC = G1.add(pc, ph);
  piC = G1.add(piC, G1.timesFr(piA, s));
  piC = G1.add(piC, G1.timesFr(b1, r));
  piC = G1.add(piC, G1.timesFr(key.delta1, Fr.neg(Fr.mul(r, s))));
  const str = (v: unknown): unknown => (Array.isArray(v) ? v.map(str) : String(v));
  const publicSignals: string[] = [];
  for (let i = 1; i <= key.nPublic; i++) publicSignals.push(leToBigInt(witness, i * N8).toString());
  return {
    proof: {
      pi_a: str(G1.toObject(G1.toAffine(piA))),
      pi_b: str(G2.toObject(G2.toAffine(piB))),
      pi_c: str(G1.toObject(G1.toAffine(piC))),
      protocol: "groth16",
      curve: "bn128",
    } as SnarkjsGroth16Proof,
    publicSignals,
  };
}

function leToBigInt(bytes: Uint8Array, offset: number): bigint {
  let x = 0n;
  for (let k = N8 - 1; k >= 0; k--) x = (x << 8n) | BigInt(bytes[offset + k]!);
  return x;
}

/** Per witness value: 0 = zero, 1 = one, 2 = below 2^64, 3 = anything else. */
function classify(witness: Uint8Array): Uint8Array {
  const n = witness.length / N8;
  const cls = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * N8;
    let top = -1;
    for (let k = N8 - 1; k >= 0; k--) {
      if (witness[o + k] !== 0) {
        top = k;
        break;
      }
    }
    cls[i] = top < 0 ? 0 : top === 0 && witness[o] === 1 ? 1 : top < 8 ? 2 : 3;
  }
  return cls;
}

/** (A·w, B·w, A∘B) over the domain, Montgomery form, one `qap_buildABC` call per thread. */
async function buildABC(curve: BnCurve, key: ProvingKey, witness: Uint8Array): Promise<Uint8Array[]> {
  const parts = await Promise.all(
    key.coefParts.map((part) => {
      const len = part.nOut * N8;
      const task: ThreadTask = [
        { cmd: "ALLOCSET", var: 0, buff: part.buf },
        { cmd: "ALLOCSET", var: 1, buff: witness },
        { cmd: "ALLOC", var: 2, len },
        { cmd: "ALLOC", var: 3, len },
        { cmd: "ALLOC", var: 4, len },
        {
          cmd: "CALL",
          fnName: "qap_buildABC",
          params: [
            { var: 0 },
            { val: part.n },
            { var: 1 },
            { var: 2 },
            { var: 3 },
            { var: 4 },
            { val: part.offset },
            { val: part.nOut },
            { val: 0 },
            { val: key.nVars },
          ],
        },
        { cmd: "GET", out: 0, var: 2, len },
        { cmd: "GET", out: 1, var: 3, len },
        { cmd: "GET", out: 2, var: 4, len },
      ];
      return curve.tm.queueAction(task);
    }),
  );
  const out = [0, 1, 2].map(() => new Uint8Array(key.domainSize * N8));
  parts.forEach((r, t) => {
    for (let k = 0; k < 3; k++) out[k]!.set(r[k]!, key.coefParts[t]!.offset * N8);
  });
  return out;
}

/** H's evaluations (A·B − C)/Z on the coset, normal form, split over the threads. */
async function joinABC(curve: BnCurve, a: Uint8Array, b: Uint8Array, c: Uint8Array): Promise<Uint8Array> {
  const n = a.length / N8;
  const step = Math.ceil(n / curve.tm.concurrency);
  const parts: Promise<Uint8Array[]>[] = [];
  for (let i = 0; i < n; i += step) {
    const m = Math.min(step, n - i);
    const slice = (x: Uint8Array) => x.subarray(i * N8, (i + m) * N8);
    parts.push(
      curve.tm.queueAction([
        { cmd: "ALLOCSET", var: 0, buff: slice(a) },
        { cmd: "ALLOCSET", var: 1, buff: slice(b) },
        { cmd: "ALLOCSET", var: 2, buff: slice(c) },
        { cmd: "ALLOC", var: 3, len: m * N8 },
        {
          cmd: "CALL",
          fnName: "qap_joinABC",
          params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: m }, { var: 3 }],
        },
        { cmd: "CALL", fnName: "frm_batchFromMontgomery", params: [{ var: 3 }, { val: m }, { var: 3 }] },
        { cmd: "GET", out: 0, var: 3, len: m * N8 },
      ]),
    );
  }
  const out = new Uint8Array(a.length);
  let p = 0;
  for (const [r] of await Promise.all(parts)) {
    out.set(r!, p);
    p += r!.length;
  }
  return out;
}

/** Σ wᵢ·Basesᵢ over a point section, by scalar class (zero values and zero bases skipped). */
async function sectionMultiExp(
  curve: BnCurve,
  G: WasmCurveGroup,
  sec: Section,
  witness: Uint8Array,
  cls: Uint8Array,
): Promise<Point> {
  const { bases, nonZero, size, first } = sec;
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < nonZero.length; k++) counts[cls[nonZero[k]!]!]!++;
  const gb = [1, 2, 3].map((c) => new Uint8Array(counts[c]! * size));
  const gs = [1, 2, 3].map((c) => new Uint8Array(counts[c]! * CLASS_BYTES[c]!));
  const fill = [0, 0, 0];
  for (let k = 0; k < nonZero.length; k++) {
    const i = nonZero[k]!;
    const c = cls[i]!;
    if (c === 0) continue;
    const j = fill[c - 1]!++;
    const b = i - first;
    gb[c - 1]!.set(bases.subarray(b * size, (b + 1) * size), j * size);
    if (c === 1) gs[0]![j] = 1;
    else gs[c - 1]!.set(witness.subarray(i * N8, i * N8 + CLASS_BYTES[c]!), j * CLASS_BYTES[c]!);
  }
  const bits = [1, maxBits(gs[1]!, CLASS_BYTES[2]), 254];
  const parts = await Promise.all(
    [0, 1, 2].map((k) =>
      fill[k]! > 0 ? multiExp(curve, G, gb[k]!, gs[k]!, CLASS_BYTES[k + 1]!, fill[k]!, bits[k]!) : G.zero,
    ),
  );
  return G.add(G.add(parts[0]!, parts[1]!), parts[2]!);
}

function maxBits(scalars: Uint8Array, s: number): number {
  let top = 1;
  for (let i = 0; i < scalars.length; i += s) {
    for (let k = s - 1; k >= 0; k--) {
      const v = scalars[i + k]!;
      if (v !== 0) {
        top = Math.max(top, k * 8 + 32 - Math.clz32(v));
        break;
      }
    }
  }
  return top;
}

/** Pippenger window width for n points with `bits`-bit scalars (cost ≈ windows·(n + 2^c)). */
function windowBits(n: number, bits: number): number {
  let best = 1;
  let cost = Number.POSITIVE_INFINITY;
  for (let c = 1; c <= 16; c++) {
    const k = Math.ceil(bits / c) * (n + 2 ** c);
    if (k < cost) {
      cost = k;
      best = c;
    }
  }
  return best;
}

/**
 * Σ scalarsᵢ·basesᵢ (affine LEM bases, little-endian scalars of `sScalar` bytes below 2^bits):
 * ffjavascript's per-window bucket kernel, windows spread over the engine's threads.
 */
async function multiExp(
  curve: BnCurve,
  G: WasmCurveGroup,
  bases: Uint8Array,
  scalars: Uint8Array,
  sScalar: number,
  n: number,
  bits: number,
): Promise<Point> {
  const fnName = G === curve.G1 ? "g1m_multiexpAffine_chunk" : "g2m_multiexpAffine_chunk";
  const c = windowBits(n, bits);
  const windows = Math.ceil(bits / c);
  const groups = Math.min(curve.tm.concurrency * TASKS_PER_THREAD, windows);
  const pointBytes = G.F.n8 * 3;
  const tasks: Promise<Uint8Array[]>[] = [];
  for (let g = 0; g < groups; g++) {
    const w0 = Math.floor((g * windows) / groups);
    const w1 = Math.floor(((g + 1) * windows) / groups);
    const task: ThreadTask = [
      { cmd: "ALLOCSET", var: 0, buff: bases },
      { cmd: "ALLOCSET", var: 1, buff: scalars },
    ];
    for (let w = w0; w < w1; w++) {
      const v = 2 + w - w0;
      task.push(
        { cmd: "ALLOC", var: v, len: pointBytes },
        {
          cmd: "CALL",
          fnName,
          params: [
            { var: 0 },
            { var: 1 },
            { val: sScalar },
            { val: n },
            { val: w * c },
            { val: Math.min(bits - w * c, c) },
            { var: v },
          ],
        },
        { cmd: "GET", out: w - w0, var: v, len: pointBytes },
      );
    }
    tasks.push(curve.tm.queueAction(task));
  }
  const perWindow = (await Promise.all(tasks)).flat();
  let res = G.zero;
  for (let w = windows - 1; w >= 0; w--) {
    if (!G.isZero(res)) for (let j = 0; j < c; j++) res = G.double(res);
    res = G.add(res, perWindow[w]!);
  }
  return res;
}

async function load(job: LoadJob): Promise<ProveReply> {
  try {
    await bn128(); // ffjavascript's engine and threads
    await circuit(job);
    return { type: "loaded", id: job.id };
  } catch (e) {
    return { type: "error", id: job.id, message: e instanceof Error ? e.message : String(e) };
  }
}

const port = parentPort;
if (port) {
  port.on("message", (msg: ProveJob | LoadJob | { type: "close" }) => {
    if (msg.type === "prove") {
      void prove(msg).then((reply) => port.postMessage(reply));
    } else if (msg.type === "load") {
      void load(msg).then((reply) => port.postMessage(reply));
    } else if (msg.type === "close") {
      // Stop ffjavascript's own worker threads, then let this thread end.
      const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
      void (curve ? curve.terminate() : Promise.resolve()).finally(() => port.close());
    }
  });
}
