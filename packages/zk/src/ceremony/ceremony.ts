import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as snarkjs from "snarkjs";
import { type Address, type Hex, recoverAddress } from "viem";
import { sign } from "viem/accounts";
import type { CompiledModel } from "../compiler/compileModel.js";
import type { CircomResult } from "../pipeline/runCircom.js";
import { specToJson } from "../pipeline/specJson.js";
import { startPhase2 } from "../pipeline/startPhase2.js";
import { groth16VerifierTemplatePath } from "../pipeline/toolPaths.js";
import { ARTIFACT_FILES, type ZkArtifactManifest } from "../pipeline/ZkArtifacts.js";
import { vkHash } from "../proof/vkHash.js";
import { ZkError } from "../ZkError.js";
import type { CeremonyContribution, CeremonyTranscript } from "./CeremonyTranscript.js";
import {
  CEREMONY_FILES,
  ceremonyZkeyPath,
  contributionDigest,
  latestZkeySha256,
  readTranscript,
  writeTranscript,
} from "./transcriptFile.js";

const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

async function sha256File(path: string): Promise<string> {
  return sha256Of(await readFile(path));
}

/** Stores a zkey under its hash in the ceremony directory; returns the hash. */
async function storeZkey(dir: string, file: string): Promise<string> {
  const h = await sha256File(file);
  await mkdir(join(dir, CEREMONY_FILES.zkeys), { recursive: true });
  await rename(file, ceremonyZkeyPath(dir, h));
  return h;
}

/** Reads a zkey of the ceremony and checks its hash (a swapped file is refused). */
async function checkedZkey(dir: string, sha256: string): Promise<string> {
  const path = ceremonyZkeyPath(dir, sha256);
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (cause) {
    throw new ZkError("ARTIFACT_MISSING", `The ceremony's zkey ${sha256} is missing in ${dir}.`, { cause });
  }
  if (actual !== sha256) throw new ZkError("ARTIFACT_MISSING", `The zkey ${path} does not match its hash.`);
  return path;
}

export type StartCeremonyOptions = {
  /** Where the ceremony lives (ceremony.json and zkeys/). */
  dir: string;
  listingId: Hex;
  modelId: Hex;
  artifactKey: string;
  /** The circuit's r1cs (rebuilt from the ONNX file: the compiler is deterministic). */
  r1csPath: string;
  /** The pinned phase-1 file. */
  ptauPath: string;
};

/**
 * Starts a listing's phase-2 ceremony: the initial zkey from the circuit and the pinned phase 1,
 * with no contribution yet (its toxic waste is public: δ = 1). Nobody may use it before
 * contributions and the beacon are added.
 */
export async function startCeremony(o: StartCeremonyOptions): Promise<CeremonyTranscript> {
  await mkdir(join(o.dir, CEREMONY_FILES.zkeys), { recursive: true });
  const tmp = join(o.dir, `initial.${process.pid}.zkey.tmp`);
  try {
    await startPhase2(o.r1csPath, o.ptauPath, tmp);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new ZkError(
      "BUILD_FAILED",
      `Phase-2 start failed for listing ${o.listingId}: ${(cause as Error).message}.`,
      { cause },
    );
  }
  const t: CeremonyTranscript = {
    version: 1,
    listingId: o.listingId,
    modelId: o.modelId,
    artifactKey: o.artifactKey,
    r1csSha256: await sha256File(o.r1csPath),
    ptauSha256: await sha256File(o.ptauPath),
    initialZkeySha256: await storeZkey(o.dir, tmp),
    contributions: [],
  };
  await writeTranscript(o.dir, t);
  return t;
}

/** snarkjs' `zkey verify` against the circuit and phase 1, with the contribution hashes it lists (oldest first). */
export async function verifyZkey(
  r1csPath: string,
  ptauPath: string,
  zkeyPath: string,
): Promise<{ valid: boolean; contributions: { name: string; hash: string }[]; beacons: string[] }> {
  const lines: string[] = [];
  const logger: snarkjs.Logger = {
    debug: () => {},
    info: (m) => lines.push(String(m)),
    warn: () => {},
    error: (m) => lines.push(`ERROR ${String(m)}`),
  };
  // snarkjs prints some failures with console.log: silence them, a false result says enough.
  const log = console.log;
  console.log = () => {};
  let valid: boolean;
  try {
    valid = await snarkjs.zKey.verifyFromR1cs(r1csPath, ptauPath, zkeyPath, logger);
  } catch {
    valid = false;
  } finally {
    console.log = log;
  }
  const contributions: { index: number; name: string; hash: string }[] = [];
  const beacons: string[] = [];
  for (const line of lines) {
    const m = /^contribution #(\d+) (.*):\n((?:\s*[0-9a-f]{8})+)\s*$/s.exec(line);
    if (m) contributions.push({ index: Number(m[1]), name: m[2]!.trim(), hash: m[3]!.replace(/\s+/g, "") });
    const b = /^Beacon generator: ([0-9a-f]+)$/.exec(line);
    if (b) beacons.push(b[1]!);
  }
  contributions.sort((a, b) => a.index - b.index);
  return { valid, contributions: contributions.map(({ name, hash }) => ({ name, hash })), beacons };
}

/** A contributor: its signing address and a signer of raw 32-byte digests. */
export type CeremonySigner = { address: Address; privateKey: Hex };

export type ContributeOptions = {
  dir: string;
  r1csPath: string;
  ptauPath: string;
  signer: CeremonySigner;
  /** The chain's current block number (the beacon must come later). */
  blockNumber: bigint;
  /** Extra entropy (snarkjs mixes it with 64 random bytes). */
  entropy?: string;
};

/**
 * Adds a contribution: checks the latest zkey against the rebuilt circuit and the pinned phase 1
 * (and that it carries exactly the transcript's contributions), contributes, stores the new zkey
 * by hash and appends the signed record. Resolves to the contribution.
 */
export async function contribute(o: ContributeOptions): Promise<CeremonyContribution> {
  const t = await readTranscript(o.dir);
  if (t.beacon) throw new ZkError("BUILD_FAILED", `The ceremony of listing ${t.listingId} is closed.`);
  await checkInputs(t, o.r1csPath, o.ptauPath);
  const from = await checkedZkey(o.dir, latestZkeySha256(t));
  // Whoever handed over the zkey (the publisher, a peer over the network) is not trusted: even the
  // initial one is checked against the circuit and phase 1 before anything is built on it.
  const check = await verifyZkey(o.r1csPath, o.ptauPath, from);
  matchContributions(t, check);
  const tmp = join(o.dir, `contribution.${process.pid}.zkey.tmp`);
  const hashBytes = await snarkjs.zKey.contribute(
    from,
    tmp,
    `opg ${o.signer.address}`,
    o.entropy ?? createHash("sha256").update(`${Date.now()}${Math.random()}`).digest("hex"),
  );
  const contributionHash = Buffer.from(hashBytes).toString("hex");
  const zkeySha256 = await storeZkey(o.dir, tmp);
  const signature = await sign({
    hash: contributionDigest(t.listingId, contributionHash, zkeySha256, o.blockNumber),
    privateKey: o.signer.privateKey,
    to: "hex",
  });
  const c: CeremonyContribution = {
    contributor: o.signer.address,
    contributionHash,
    zkeySha256,
    blockNumber: o.blockNumber.toString(),
    signature,
  };
  t.contributions.push(c);
  await writeTranscript(o.dir, t);
  return c;
}

export type CloseCeremonyOptions = {
  dir: string;
  r1csPath: string;
  ptauPath: string;
  /** A block mined after every contribution's block: its hash is the random beacon. */
  beacon: { blockNumber: bigint; blockHash: Hex };
  /** snarkjs beacon iterations exponent (10..63; default 10). */
  iterationsExp?: number;
};

/**
 * Closes the ceremony with the random beacon (a future block's hash: no contributor could know it
 * when contributing), verifies the final zkey and records the verification key hash.
 */
export async function closeCeremony(o: CloseCeremonyOptions): Promise<CeremonyTranscript> {
  const t = await readTranscript(o.dir);
  if (t.beacon) return t;
  if (t.contributions.length === 0) {
    throw new ZkError("BUILD_FAILED", `The ceremony of listing ${t.listingId} has no contribution yet.`);
  }
  const last = t.contributions.reduce((m, c) => (BigInt(c.blockNumber) > m ? BigInt(c.blockNumber) : m), 0n);
  if (o.beacon.blockNumber <= last) {
    throw new ZkError(
      "BUILD_FAILED",
      `The beacon block ${o.beacon.blockNumber} is not after the last contribution (block ${last}).`,
    );
  }
  await checkInputs(t, o.r1csPath, o.ptauPath);
  const from = await checkedZkey(o.dir, latestZkeySha256(t));
  const tmp = join(o.dir, `final.${process.pid}.zkey.tmp`);
  const iterationsExp = o.iterationsExp ?? 10;
  const ok = await snarkjs.zKey.beacon(from, tmp, "opg beacon", o.beacon.blockHash.slice(2), iterationsExp);
  if (ok === false) throw new ZkError("BUILD_FAILED", "The beacon step failed.");
  const zkeySha256 = await storeZkey(o.dir, tmp);
  t.beacon = {
    blockNumber: o.beacon.blockNumber.toString(),
    blockHash: o.beacon.blockHash,
    iterationsExp,
    zkeySha256,
  };
  t.vkHash = vkHash(await snarkjs.zKey.exportVerificationKey(ceremonyZkeyPath(o.dir, zkeySha256)));
  await writeTranscript(o.dir, t);
  return t;
}

/** Why a ceremony is not acceptable to a verifier, or what it found. */
export type CeremonyCheck = {
  /** The final zkey and every step check out (valid transcript, signatures, beacon, key hash). */
  valid: boolean;
  /** Distinct contributors whose signed contributions are in the final zkey. */
  contributors: Address[];
  problems: string[];
  vkHash?: Hex | undefined;
};

export type VerifyCeremonyOptions = {
  dir: string;
  r1csPath: string;
  ptauPath: string;
  /** The chain's hash of a block (to check the beacon); omitted: the beacon's block hash is not checked. */
  blockHash?: ((blockNumber: bigint) => Promise<Hex | undefined>) | undefined;
};

/**
 * Verifies a closed ceremony as a verifier must before trusting its key: the final zkey passes
 * `zkey verify` against the rebuilt r1cs and the pinned phase 1; its contributions are exactly the
 * transcript's, in order, each signed by the contributor it names; the last step is the beacon
 * (a block later than every contribution, whose hash the chain confirms); the key hash matches.
 */
export async function verifyCeremony(o: VerifyCeremonyOptions): Promise<CeremonyCheck> {
  const problems: string[] = [];
  const t = await readTranscript(o.dir);
  try {
    await checkInputs(t, o.r1csPath, o.ptauPath);
  } catch (e) {
    return { valid: false, contributors: [], problems: [(e as Error).message] };
  }
  if (!t.beacon)
    return { valid: false, contributors: [], problems: ["the ceremony is not closed (no beacon)"] };
  let finalPath: string;
  try {
    finalPath = await checkedZkey(o.dir, t.beacon.zkeySha256);
  } catch (e) {
    return { valid: false, contributors: [], problems: [(e as Error).message] };
  }
  const check = await verifyZkey(o.r1csPath, o.ptauPath, finalPath);
  if (!check.valid) problems.push("the final zkey does not verify against the circuit and phase 1");
  if (check.beacons.length !== 1 || check.beacons[0] !== t.beacon.blockHash.slice(2).toLowerCase()) {
    problems.push("the final zkey's beacon is not the transcript's block hash");
  }
  if (check.contributions.length !== t.contributions.length + 1) {
    problems.push("the final zkey's contributions are not the transcript's plus the beacon");
  }
  try {
    matchContributions(t, { contributions: check.contributions.slice(0, t.contributions.length) });
  } catch (e) {
    problems.push((e as Error).message);
  }
  const contributors = new Set<Address>();
  let last = 0n;
  for (const c of t.contributions) {
    const block = BigInt(c.blockNumber);
    if (block > last) last = block;
    let signer: Address | undefined;
    try {
      signer = await recoverAddress({
        hash: contributionDigest(t.listingId, c.contributionHash, c.zkeySha256, block),
        signature: c.signature,
      });
    } catch {
      signer = undefined;
    }
    if (signer === undefined || signer.toLowerCase() !== c.contributor.toLowerCase()) {
      problems.push(`contribution ${c.contributionHash.slice(0, 16)}… is not signed by ${c.contributor}`);
    } else {
      contributors.add(signer.toLowerCase() as Address);
    }
  }
  if (BigInt(t.beacon.blockNumber) <= last) problems.push("the beacon block is not after every contribution");
  if (o.blockHash) {
    const onChain = await o.blockHash(BigInt(t.beacon.blockNumber));
    if (onChain?.toLowerCase() !== t.beacon.blockHash.toLowerCase()) {
      problems.push(`the beacon is not the hash of block ${t.beacon.blockNumber} on this chain`);
    }
  }
  const key = vkHash(await snarkjs.zKey.exportVerificationKey(finalPath));
  if (t.vkHash?.toLowerCase() !== key.toLowerCase())
    problems.push("the transcript's key hash is not the final key's");
  return { valid: problems.length === 0, contributors: [...contributors], problems, vkHash: key };
}

/**
 * The verifier's policy on a checked ceremony: its own contribution is in it, or at least
 * `minContributors` members of the verifier set contributed (f + 1 by default: then one of them is
 * honest). A refusal message, or undefined when the key may be used.
 */
export function ceremonyRefusal(
  check: CeremonyCheck,
  policy: { self: Address; verifierSet: readonly Address[]; minContributors: number },
): string | undefined {
  if (!check.valid) return `the ceremony does not verify: ${check.problems.join("; ")}`;
  const mine = check.contributors.includes(policy.self.toLowerCase() as Address);
  if (mine) return undefined;
  const set = new Set(policy.verifierSet.map((a) => a.toLowerCase()));
  const members = check.contributors.filter((c) => set.has(c)).length;
  if (members >= policy.minContributors) return undefined;
  return `the ceremony lacks this verifier's own contribution and has ${members} contributions of the verifier set (${policy.minContributors} required)`;
}

async function checkInputs(t: CeremonyTranscript, r1csPath: string, ptauPath: string): Promise<void> {
  if ((await sha256File(r1csPath)) !== t.r1csSha256) {
    throw new ZkError("ARTIFACT_MISSING", "The rebuilt circuit (r1cs) is not the ceremony's.");
  }
  if ((await sha256File(ptauPath)) !== t.ptauSha256) {
    throw new ZkError("ARTIFACT_MISSING", "The phase-1 file is not the ceremony's pinned one.");
  }
}

function matchContributions(
  t: CeremonyTranscript,
  check: { valid?: boolean; contributions: { hash: string }[] },
): void {
  if (check.valid === false) throw new ZkError("BUILD_FAILED", "The latest zkey does not verify.");
  const listed = t.contributions.map((c) => c.contributionHash);
  const found = check.contributions.map((c) => c.hash);
  if (listed.length !== found.length || listed.some((h, i) => h !== found[i])) {
    throw new ZkError("BUILD_FAILED", "The zkey's contributions are not the transcript's.");
  }
}

/**
 * Installs a closed ceremony's keys as an artifact directory `targetDir` (what provers and
 * verifiers load): the rebuilt circuit (circom source, r1cs, wasm, witness calculator, spec), the
 * final zkey, its verification key and Solidity verifier, and a manifest with every file's hash
 * and the ceremony (listing, key hash, final zkey hash). The transcript is copied beside them.
 */
export async function installCeremonyArtifacts(o: {
  ceremonyDir: string;
  compiled: CompiledModel;
  circom: CircomResult;
  ptauPath: string;
  targetDir: string;
}): Promise<void> {
  const t = await readTranscript(o.ceremonyDir);
  if (!t.beacon || !t.vkHash) throw new ZkError("ARTIFACT_MISSING", "The ceremony is not closed.");
  if ((await sha256File(o.circom.r1cs)) !== t.r1csSha256) {
    throw new ZkError("ARTIFACT_MISSING", "The rebuilt circuit (r1cs) is not the ceremony's.");
  }
  const tmp = `${o.targetDir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, ARTIFACT_FILES.circom), o.compiled.circom);
    await copyFile(o.circom.r1cs, join(tmp, ARTIFACT_FILES.r1cs));
    await copyFile(o.circom.wasm, join(tmp, ARTIFACT_FILES.wasm));
    await copyFile(
      join(dirname(o.circom.wasm), "witness_calculator.js"),
      join(tmp, ARTIFACT_FILES.witnessCalculator),
    );
    await writeFile(join(tmp, ARTIFACT_FILES.spec), `${JSON.stringify(specToJson(o.compiled.spec))}\n`);
    const zkey = await checkedZkey(o.ceremonyDir, t.beacon.zkeySha256);
    await copyFile(zkey, join(tmp, ARTIFACT_FILES.zkey));
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    await writeFile(join(tmp, ARTIFACT_FILES.vkey), `${JSON.stringify(vkey, null, 1)}\n`);
    const template = await readFile(groth16VerifierTemplatePath(), "utf8");
    await writeFile(
      join(tmp, ARTIFACT_FILES.solidity),
      await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }),
    );
    const files: Record<string, string> = {};
    for (const [key, f] of Object.entries(ARTIFACT_FILES)) {
      if (key !== "manifest") files[f] = await sha256File(join(tmp, f));
    }
    const manifest: ZkArtifactManifest = {
      version: 1,
      artifactKey: o.compiled.artifactKey,
      modelId: o.compiled.modelId,
      compilerVersion: o.compiled.compilerVersion,
      scaleBits: o.compiled.spec.scaleBits,
      valueBits: o.compiled.spec.valueBits,
      weightMode: o.compiled.spec.weightMode,
      weightsCommitment: o.compiled.weightsCommitment.toString(),
      input: o.compiled.spec.input,
      output: o.compiled.spec.output,
      constraints: o.circom.nonLinearConstraints + o.circom.linearConstraints,
      wires: o.circom.wires,
      nPublic: vkey.nPublic,
      ptau: { file: o.ptauPath.replace(/^.*\//, ""), sha256: t.ptauSha256 },
      files,
      setupSeconds: 0,
      ceremony: { listingId: t.listingId, vkHash: t.vkHash, transcriptHash: t.beacon.zkeySha256 },
    };
    await writeFile(join(tmp, ARTIFACT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await copyFile(join(o.ceremonyDir, CEREMONY_FILES.transcript), join(tmp, CEREMONY_FILES.transcript));
    await rm(o.targetDir, { recursive: true, force: true });
    await rename(tmp, o.targetDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
