/**
 * The phase-2 ceremony among the verifiers: contributions checked against the rebuilt circuit
 * and the pinned phase 1, signed by their contributors, closed by a future block's hash; and why
 * a setup run by one party (whose secret is known) is never accepted.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChaCha } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  executorSignal,
  quantizeInputs,
  readTranscript,
  terminateZkEngine,
  toField,
  vkHash,
  type ZkArtifacts,
} from "../src/index.js";
import {
  ceremonyRefusal,
  closeCeremony,
  contribute,
  DEV_PTAU_PATH,
  generateDevPtau,
  startCeremony,
  verifyCeremony,
} from "../src/toolchain.js";
import { exampleArtifacts, irisInput } from "./helpers.js";

const keys = [1, 2, 3, 4].map((i) => keccak256(toHex(`ceremony-verifier-${i}`)));
const verifiers = keys.map((k) => ({ address: privateKeyToAccount(k).address, privateKey: k }));
const verifierSet = verifiers.slice(0, 3).map((v) => v.address);
const LISTING = keccak256(toHex("listing"));
const BEACON = { blockNumber: 100n, blockHash: keccak256(toHex("block 100")) };

let artifacts: ZkArtifacts;
let r1csPath: string;
const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "opg-ceremony-"));
  dirs.push(d);
  return d;
};
const start = async (dir: string) =>
  startCeremony({
    dir,
    listingId: LISTING,
    modelId: artifacts.manifest.modelId,
    artifactKey: artifacts.manifest.artifactKey,
    r1csPath,
    ptauPath: DEV_PTAU_PATH,
  });

beforeAll(async () => {
  artifacts = await exampleArtifacts();
  r1csPath = join(artifacts.dir, "circuit.r1cs");
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  await terminateZkEngine();
});

describe("phase-2 ceremony", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await start(dir);
    for (const [i, v] of verifiers.slice(0, 3).entries()) {
      await contribute({ dir, r1csPath, ptauPath: DEV_PTAU_PATH, signer: v, blockNumber: BigInt(10 + i) });
    }
    await closeCeremony({ dir, r1csPath, ptauPath: DEV_PTAU_PATH, beacon: BEACON });
  }, 240_000);

  it("default: three verifiers contribute, a later block's hash closes it, every step verifies", async () => {
    const t = await readTranscript(dir);
    expect(t.contributions.map((c) => c.contributor)).toEqual(verifierSet);
    const check = await verifyCeremony({
      dir,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
      blockHash: async (n) => (n === BEACON.blockNumber ? BEACON.blockHash : undefined),
    });
    expect(check.problems).toEqual([]);
    expect(check.valid).toBe(true);
    expect(check.vkHash).toBe(t.vkHash);
    expect(check.contributors.sort()).toEqual(verifierSet.map((a) => a.toLowerCase()).sort());
    // Each contributor accepts it; an outsider accepts it once f + 1 = 2 of the set contributed.
    const policy = { verifierSet, minContributors: 2 };
    for (const v of verifiers.slice(0, 3))
      expect(ceremonyRefusal(check, { ...policy, self: v.address })).toBeUndefined();
    expect(ceremonyRefusal(check, { ...policy, self: verifiers[3]!.address })).toBeUndefined();
    expect(ceremonyRefusal(check, { ...policy, self: verifiers[3]!.address, minContributors: 4 })).toMatch(
      /lacks this verifier's own contribution/,
    );
  }, 120_000);

  it("error: a beacon from another chain, a forged signature or another circuit is refused", async () => {
    const wrongChain = await verifyCeremony({
      dir,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
      blockHash: async () => keccak256(toHex("another block")),
    });
    expect(wrongChain.valid).toBe(false);
    expect(wrongChain.problems.join()).toMatch(/not the hash of block 100/);

    // Someone rewrites the transcript to claim verifier 3 made contribution 1.
    const forgedDir = await tempDir();
    await start(forgedDir);
    await contribute({
      dir: forgedDir,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
      signer: verifiers[0]!,
      blockNumber: 1n,
    });
    await closeCeremony({ dir: forgedDir, r1csPath, ptauPath: DEV_PTAU_PATH, beacon: BEACON });
    const path = join(forgedDir, "ceremony.json");
    const t = JSON.parse(await readFile(path, "utf8"));
    t.contributions[0].contributor = verifiers[2]!.address;
    await writeFile(path, JSON.stringify(t));
    const forged = await verifyCeremony({ dir: forgedDir, r1csPath, ptauPath: DEV_PTAU_PATH });
    expect(forged.valid).toBe(false);
    expect(forged.problems.join()).toMatch(/is not signed by/);

    // Another circuit (or phase 1) than the ceremony's.
    const other = await verifyCeremony({
      dir,
      r1csPath: join(artifacts.dir, "circuit.wasm"),
      ptauPath: DEV_PTAU_PATH,
    });
    expect(other.valid).toBe(false);
    expect(other.problems.join()).toMatch(/not the ceremony's/);
  }, 180_000);

  it("error: the beacon must come after every contribution; a closed ceremony takes no contribution", async () => {
    const d = await tempDir();
    await start(d);
    await contribute({ dir: d, r1csPath, ptauPath: DEV_PTAU_PATH, signer: verifiers[0]!, blockNumber: 50n });
    await expect(
      closeCeremony({ dir: d, r1csPath, ptauPath: DEV_PTAU_PATH, beacon: { ...BEACON, blockNumber: 50n } }),
    ).rejects.toThrow(/not after the last contribution/);
    await expect(
      contribute({ dir, r1csPath, ptauPath: DEV_PTAU_PATH, signer: verifiers[3]!, blockNumber: 200n }),
    ).rejects.toThrow(/closed/);
  }, 120_000);
});

/** BN254 G1 in affine bigint coordinates (enough for the forgery below). */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const inv = (a: bigint, m: bigint) => {
  let [t, newT, r, newR] = [0n, 1n, m, mod(a, m)];
  while (newR !== 0n) {
    const q = r / newR;
    [t, newT] = [newT, t - q * newT];
    [r, newR] = [newR, r - q * newR];
  }
  return mod(t, m);
};
type P = { x: bigint; y: bigint } | null;
const add = (a: P, b: P): P => {
  if (a === null) return b;
  if (b === null) return a;
  if (a.x === b.x && mod(a.y + b.y, Q) === 0n) return null;
  const l = a.x === b.x ? mod(3n * a.x * a.x * inv(2n * a.y, Q), Q) : mod((b.y - a.y) * inv(b.x - a.x, Q), Q);
  const x = mod(l * l - a.x - b.x, Q);
  return { x, y: mod(l * (a.x - x) - a.y, Q) };
};
const mul = (p: P, k: bigint): P => {
  let acc: P = null;
  let base = p;
  for (let e = mod(k, R); e > 0n; e >>= 1n) {
    if (e & 1n) acc = add(acc, base);
    base = add(base, base);
  }
  return acc;
};
const point = (c: readonly string[]): P => ({ x: BigInt(c[0]!), y: BigInt(c[1]!) });

/** snarkjs' beacon secret: the ChaCha stream seeded by 2^n sha256 iterations of the beacon hash, as Fr. */
async function beaconSecrets(hashHex: string, iterationsExp: number): Promise<bigint[]> {
  let h = Buffer.from(hashHex, "hex");
  const { createHash } = await import("node:crypto");
  for (let i = 0; i < 2 ** iterationsExp; i++) h = createHash("sha256").update(h).digest();
  const seed = Array.from({ length: 8 }, (_, i) => h.readUInt32BE(i * 4));
  const rng = new ChaCha(seed);
  let v: bigint;
  do {
    v = 0n;
    for (let i = 0; i < 4; i++) v += BigInt(rng.nextU64()) << BigInt(64 * i);
    v &= (1n << 254n) - 1n;
  } while (v >= R);
  // The scalar as stored, or read back out of Montgomery form.
  return [v, mod(v * inv(2n ** 256n, R), R)];
}

describe("a setup run by one party (the issue's forgery)", () => {
  it("behavior: with a known-secret single contribution any output gets a valid proof; no verifier accepts that setup", async () => {
    // The publisher starts phase 2 and makes the only contribution itself, from a secret it keeps
    // (here a beacon it chose, so the test knows δ too).
    const dir = await tempDir();
    await start(dir);
    const t = await readTranscript(dir);
    const solo = join(dir, "solo.zkey");
    const secretHash = keccak256(toHex("the publisher's secret")).slice(2);
    await snarkjs.zKey.beacon(
      join(dir, "zkeys", `${t.initialZkeySha256}.zkey`),
      solo,
      "solo",
      secretHash,
      10,
    );
    const vkey = await snarkjs.zKey.exportVerificationKey(solo);

    // An honest proof for a setosa flower under that key…
    const x = quantizeInputs(artifacts.spec, irisInput(0));
    const executor = "0x1111111111111111111111111111111111111111";
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { executor: executorSignal(executor).toString(), x: x.map((v) => toField(v).toString()) },
      artifacts.wasmPath,
      solo,
    );
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    // …becomes a proof of any other output commitment (signal 2): C' = C + δ⁻¹ · Σ (xᵢ − x'ᵢ) ICᵢ₊₁.
    const claimed = [...publicSignals];
    claimed[2] = (BigInt(publicSignals[2]!) + 12345n).toString();
    let d: P = null;
    for (let i = 0; i < claimed.length; i++) {
      d = add(d, mul(point(vkey.IC[i + 1]!), BigInt(publicSignals[i]!) - BigInt(claimed[i]!)));
    }
    let forgedOk = false;
    for (const delta of await beaconSecrets(secretHash, 10)) {
      const c = add(point(proof.pi_c), mul(d, inv(delta, R)))!;
      const forged = { ...proof, pi_c: [c.x.toString(), c.y.toString(), "1"] as [string, string, string] };
      if (await snarkjs.groth16.verify(vkey, claimed, forged)) forgedOk = true;
    }
    expect(forgedOk).toBe(true);

    // Now: the solo key is not a ceremony's key (the listing's sealed hash names the ceremony's key),
    // and a ceremony made of the publisher's contribution alone is refused by every verifier.
    const ceremonyDir = await tempDir();
    await start(ceremonyDir);
    const publisher = {
      address: privateKeyToAccount(keccak256(toHex("publisher"))).address,
      privateKey: keccak256(toHex("publisher")) as Hex,
    };
    await contribute({
      dir: ceremonyDir,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
      signer: publisher,
      blockNumber: 1n,
    });
    await closeCeremony({ dir: ceremonyDir, r1csPath, ptauPath: DEV_PTAU_PATH, beacon: BEACON });
    const check = await verifyCeremony({ dir: ceremonyDir, r1csPath, ptauPath: DEV_PTAU_PATH });
    expect(check.valid).toBe(true);
    for (const v of verifiers.slice(0, 3)) {
      expect(ceremonyRefusal(check, { self: v.address, verifierSet, minContributors: 2 })).toMatch(
        /lacks this verifier's own contribution and has 0 contributions/,
      );
    }
    expect(vkHash(vkey)).not.toBe(check.vkHash);
  }, 180_000);
});

describe("starting a ceremony", () => {
  it("error: a phase 1 too small for the circuit is refused with snarkjs' reason, and nothing is stored", async () => {
    // snarkjs' `zkey new` logs this and returns -1 after writing the zkey's first bytes; a ceremony
    // started on it used to store those 12 bytes as its initial zkey.
    const dir = await tempDir();
    const small = join(await tempDir(), "opg-dev-3.ptau");
    await generateDevPtau(3, small);
    const started = startCeremony({
      dir,
      listingId: LISTING,
      modelId: artifacts.manifest.modelId,
      artifactKey: artifacts.manifest.artifactKey,
      r1csPath,
      ptauPath: small,
    });
    await expect(started).rejects.toMatchObject({ code: "BUILD_FAILED" });
    await expect(started).rejects.toThrow(/circuit too big for this power of tau ceremony/);
    expect(await readdir(join(dir, "zkeys"))).toEqual([]);
    await expect(readTranscript(dir)).rejects.toThrow();
  }, 120_000);
});
