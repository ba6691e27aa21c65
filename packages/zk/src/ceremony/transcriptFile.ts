/**
 * A ceremony directory's transcript, read, and the digest its contributors sign: what a verifier's
 * key policy needs at run time (the ceremony's steps, in ./ceremony.ts, are the toolchain's).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeAbiParameters, type Hex, keccak256 } from "viem";
import { ZkError } from "../ZkError.js";
import type { CeremonyTranscript } from "./CeremonyTranscript.js";

/** The files of one ceremony directory. */
export const CEREMONY_FILES = { transcript: "ceremony.json", zkeys: "zkeys" } as const;

/** Path of a zkey of the ceremony by its sha256. */
export const ceremonyZkeyPath = (dir: string, sha256: string): string =>
  join(dir, CEREMONY_FILES.zkeys, `${sha256}.zkey`);

/** What a contributor signs: its contribution to this listing's ceremony, from this zkey, at this block. */
export function contributionDigest(
  listingId: Hex,
  contributionHash: string,
  zkeySha256: string,
  blockNumber: bigint,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "string" }, { type: "bytes32" }, { type: "bytes" }, { type: "bytes32" }, { type: "uint256" }],
      ["opg-zk-contribution", listingId, `0x${contributionHash}`, `0x${zkeySha256}`, blockNumber],
    ),
  );
}

export async function readTranscript(dir: string): Promise<CeremonyTranscript> {
  let t: CeremonyTranscript;
  try {
    t = JSON.parse(await readFile(join(dir, CEREMONY_FILES.transcript), "utf8")) as CeremonyTranscript;
  } catch (cause) {
    throw new ZkError("ARTIFACT_MISSING", `No readable ceremony transcript in ${dir}.`, { cause });
  }
  if (t.version !== 1 || !Array.isArray(t.contributions)) {
    throw new ZkError("ARTIFACT_MISSING", `Unsupported ceremony transcript in ${dir}.`);
  }
  return t;
}

/** sha256 of the zkey the next step starts from. */
export function latestZkeySha256(t: CeremonyTranscript): string {
  return t.beacon?.zkeySha256 ?? t.contributions.at(-1)?.zkeySha256 ?? t.initialZkeySha256;
}
