import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Address, type Hex, recoverAddress } from "viem";
import { ZkError } from "../ZkError.js";
import type { CeremonyTranscript } from "./CeremonyTranscript.js";
import { CeremonyRefusedError } from "./ceremonyAnnouncement.js";
import {
  CEREMONY_FILES,
  ceremonyZkeyPath,
  contributionDigest,
  latestZkeySha256,
  readTranscript,
  writeTranscript,
} from "./transcriptFile.js";

/** The HTTP paths a ceremony is served on (by `opg-verify`), under a node's base URL. */
export const ceremonyUrls = {
  transcript: (base: string, listingId: Hex) => `${base}/v1/zk/ceremony/${listingId.toLowerCase()}`,
  zkey: (base: string, listingId: Hex, sha256: string) =>
    `${base}/v1/zk/ceremony/${listingId.toLowerCase()}/zkey/${sha256}`,
};

/** A transcript is small JSON (one signed record per contribution); anything larger is refused. */
const MAX_TRANSCRIPT_BYTES = 256 * 1024;
const MAX_CONTRIBUTIONS = 1024;

export type FetchCeremonyOptions = {
  /** The local ceremony directory (created when missing). */
  dir: string;
  listingId: Hex;
  /** Base URLs of nodes serving the ceremony (`--from`, or an announcement's `url`), tried in order. */
  sources: readonly string[];
  /** Only contributions signed by these addresses are accepted (the verifier set). */
  verifierSet: readonly Address[];
  /** Largest zkey accepted (bytes). */
  maxZkeyBytes: number;
  /**
   * The rebuilt r1cs, the pinned phase 1 and `zkey verify` (@opg/zk/toolchain `verifyZkey`): when
   * given, the transcript must name them and the fetched zkey must pass `zkey verify` against them
   * (with exactly the transcript's contribution hashes) before it is stored. Without them (a daemon
   * mirroring announcements, which has no circuit) only hashes and signatures are checked;
   * `contribute` verifies before building on it.
   */
  verify?: { r1csPath: string; ptauPath: string; verifyZkey: ZkeyVerifier } | undefined;
  /**
   * An announcement's claim: accept only a ceremony whose latest step is this contribution (so
   * only the hash a member announced is downloaded).
   */
  announced?: { index: number; zkeySha256: string; contributor: Address } | undefined;
  /** Time allowed for each request (default 60 s). */
  timeoutMs?: number | undefined;
};

/** `zkey verify` of a zkey against an r1cs and a ptau, with the contribution hashes it lists. */
export type ZkeyVerifier = (
  r1csPath: string,
  ptauPath: string,
  zkeyPath: string,
) => Promise<{ valid: boolean; contributions: { hash: string }[] }>;

const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const sha256File = async (path: string): Promise<string> => sha256Of(await readFile(path));

export type FetchCeremonyResult = {
  /** A newer step was fetched and stored. */
  fetched: boolean;
  source?: string | undefined;
  /** Contributions in the local transcript now. */
  contributions: number;
  /** The latest zkey's sha256 (undefined when there is still no local ceremony). */
  zkeySha256?: string | undefined;
  /** What each source that was refused or failed said (a good source elsewhere still wins). */
  problems: string[];
};

const steps = (t: CeremonyTranscript | undefined): number =>
  t === undefined ? -1 : t.contributions.length + (t.beacon ? 1 : 0);

/**
 * Brings the local ceremony up to the newest step that `sources` serve, trusting none of them:
 * the transcript must be this listing's, extend the local one, and every contribution in it be
 * signed by a member of the verifier set (cheap checks, before any zkey is downloaded); the zkey
 * is downloaded only by the hash a member signed, within `maxZkeyBytes`, its sha256 checked, and
 * (with `verify`) checked by `zkey verify` before it is stored. Throws CeremonyRefusedError when
 * every source that had something newer was refused, ZkError CEREMONY_FETCH_FAILED when none
 * could be reached and there is no local ceremony.
 */
export async function fetchCeremony(o: FetchCeremonyOptions): Promise<FetchCeremonyResult> {
  const local = await readTranscript(o.dir).catch(() => undefined);
  const problems: string[] = [];
  let refused: CeremonyRefusedError | undefined;
  const inputs =
    o.verify === undefined
      ? undefined
      : { r1cs: await sha256File(o.verify.r1csPath), ptau: await sha256File(o.verify.ptauPath) };
  for (const raw of o.sources) {
    const base = raw.replace(/\/+$/, "");
    try {
      const text = new TextDecoder().decode(
        await getBounded(ceremonyUrls.transcript(base, o.listingId), MAX_TRANSCRIPT_BYTES, o.timeoutMs),
      );
      const remote = checkRemoteTranscript(parseJson(text), local, o, inputs);
      await checkSignatures(remote, o.verifierSet);
      if (steps(remote) <= steps(local)) continue;
      const sha = latestZkeySha256(remote);
      const a = o.announced;
      const last = remote.contributions.at(-1);
      if (
        a !== undefined &&
        (remote.beacon !== undefined ||
          remote.contributions.length !== a.index ||
          last?.zkeySha256 !== a.zkeySha256 ||
          last.contributor.toLowerCase() !== a.contributor.toLowerCase())
      ) {
        throw new CeremonyRefusedError(
          "FORK",
          `${base} does not serve the announced contribution ${a.index} (${a.zkeySha256}) as its latest.`,
        );
      }
      const bytes = await getBounded(ceremonyUrls.zkey(base, o.listingId, sha), o.maxZkeyBytes, o.timeoutMs);
      const actual = sha256Of(bytes);
      if (actual !== sha) {
        throw new CeremonyRefusedError(
          "HASH_MISMATCH",
          `The zkey served by ${base} does not hash to ${sha}.`,
          {
            details: `got ${actual}`,
          },
        );
      }
      await storeChecked(o, remote, sha, bytes);
      return {
        fetched: true,
        source: base,
        contributions: remote.contributions.length,
        zkeySha256: sha,
        problems,
      };
    } catch (e) {
      if (e instanceof CeremonyRefusedError) refused ??= e;
      problems.push(`${base}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  if (refused !== undefined) {
    throw new CeremonyRefusedError(refused.reason, refused.shortMessage, {
      details: problems.length > 1 ? problems.join("; ") : undefined,
    });
  }
  if (local === undefined) {
    throw new ZkError("CEREMONY_FETCH_FAILED", `No source served listing ${o.listingId}'s ceremony.`, {
      details: problems.join("; ") || "no source given",
    });
  }
  return {
    fetched: false,
    contributions: local.contributions.length,
    zkeySha256: latestZkeySha256(local),
    problems,
  };
}

/** Writes the zkey under its hash (after `zkey verify` when asked) and then the transcript. */
async function storeChecked(
  o: FetchCeremonyOptions,
  remote: CeremonyTranscript,
  sha: string,
  bytes: Uint8Array,
): Promise<void> {
  await mkdir(join(o.dir, CEREMONY_FILES.zkeys), { recursive: true });
  const tmp = join(o.dir, `fetched.${process.pid}.${sha.slice(0, 16)}.zkey.tmp`);
  await writeFile(tmp, bytes);
  try {
    if (o.verify !== undefined) {
      const check = await o.verify.verifyZkey(o.verify.r1csPath, o.verify.ptauPath, tmp);
      const listed = remote.contributions.map((c) => c.contributionHash);
      const found = check.contributions.map((c) => c.hash).slice(0, listed.length);
      const expected = listed.length + (remote.beacon ? 1 : 0);
      if (!check.valid || check.contributions.length !== expected || listed.some((h, i) => h !== found[i])) {
        throw new CeremonyRefusedError(
          "ZKEY_INVALID",
          `The zkey ${sha} fails \`zkey verify\` against the rebuilt circuit and the pinned phase 1, or its contributions are not the transcript's.`,
        );
      }
    }
    await rename(tmp, ceremonyZkeyPath(o.dir, sha));
  } finally {
    await rm(tmp, { force: true });
  }
  await writeTranscript(o.dir, remote);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CeremonyRefusedError("MALFORMED", "The served ceremony transcript is not JSON.");
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Shape, listing, fixed fields and the local prefix: everything that costs no signature recovery. */
function checkRemoteTranscript(
  raw: unknown,
  local: CeremonyTranscript | undefined,
  o: FetchCeremonyOptions,
  inputs: { r1cs: string; ptau: string } | undefined,
): CeremonyTranscript {
  const bad = (what: string) =>
    new CeremonyRefusedError("MALFORMED", `The served ceremony transcript is malformed: ${what}.`);
  const t = raw as CeremonyTranscript;
  if (typeof t !== "object" || t === null || t.version !== 1 || !Array.isArray(t.contributions))
    throw bad("shape");
  if (typeof t.listingId !== "string" || t.listingId.toLowerCase() !== o.listingId.toLowerCase())
    throw bad("another listing's");
  if (t.contributions.length > MAX_CONTRIBUTIONS) throw bad("too many contributions");
  for (const h of [t.r1csSha256, t.ptauSha256, t.initialZkeySha256, t.beacon?.zkeySha256 ?? "0".repeat(64)]) {
    if (typeof h !== "string" || !HEX64.test(h)) throw bad("a hash");
  }
  for (const c of t.contributions) {
    if (
      typeof c !== "object" ||
      c === null ||
      !HEX64.test(String(c.zkeySha256)) ||
      !/^[0-9]+$/.test(String(c.blockNumber))
    )
      throw bad("a contribution");
  }
  if (inputs !== undefined && (t.r1csSha256 !== inputs.r1cs || t.ptauSha256 !== inputs.ptau)) {
    throw new CeremonyRefusedError(
      "FORK",
      "The served ceremony is for another circuit or phase 1 than the rebuilt one and the pinned ptau.",
    );
  }
  if (local !== undefined) {
    const fixed = ["modelId", "artifactKey", "r1csSha256", "ptauSha256", "initialZkeySha256"] as const;
    const same = fixed.every((k) => String(t[k]).toLowerCase() === String(local[k]).toLowerCase());
    const prefix = local.contributions.every(
      (c, i) =>
        t.contributions[i]?.contributionHash === c.contributionHash &&
        t.contributions[i]?.zkeySha256 === c.zkeySha256,
    );
    if (!same || (!prefix && steps(t) > steps(local))) {
      throw new CeremonyRefusedError("FORK", "The served ceremony does not extend the local one.");
    }
  }
  return t;
}

/** Every contribution must be signed by the member of the verifier set it names. */
async function checkSignatures(t: CeremonyTranscript, verifierSet: readonly Address[]): Promise<void> {
  const members = new Set(verifierSet.map((a) => a.toLowerCase()));
  for (const c of t.contributions) {
    if (typeof c.contributor !== "string" || !members.has(c.contributor.toLowerCase())) {
      throw new CeremonyRefusedError(
        "NOT_A_VERIFIER",
        `The served ceremony holds a contribution by ${String(c.contributor)}, not a member of the verifier set.`,
      );
    }
  }
  for (const c of t.contributions) {
    let signer: Address | undefined;
    try {
      signer = await recoverAddress({
        hash: contributionDigest(t.listingId, c.contributionHash, c.zkeySha256, BigInt(c.blockNumber)),
        signature: c.signature as Hex,
      });
    } catch {
      signer = undefined;
    }
    if (signer?.toLowerCase() !== c.contributor.toLowerCase()) {
      throw new CeremonyRefusedError(
        "BAD_SIGNATURE",
        `A contribution of the served ceremony is not signed by ${c.contributor}.`,
      );
    }
  }
}

/** GET with a byte cap: refused on a larger Content-Length, cut off once the body passes the cap. */
async function getBounded(url: string, maxBytes: number, timeoutMs = 60_000): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
  } catch (cause) {
    throw new ZkError("CEREMONY_FETCH_FAILED", `GET ${url} failed.`, { cause });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ZkError("CEREMONY_FETCH_FAILED", `GET ${url} answered ${res.status}.`);
  }
  const tooLarge = () =>
    new CeremonyRefusedError("TOO_LARGE", `${url} serves more than the ${maxBytes}-byte limit.`);
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof CeremonyRefusedError) throw e;
    throw new ZkError("CEREMONY_FETCH_FAILED", `Reading ${url} failed.`, { cause: e });
  }
  return Buffer.concat(chunks);
}
