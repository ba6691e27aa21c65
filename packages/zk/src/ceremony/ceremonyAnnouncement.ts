import type { CeremonyAnnouncementMessage } from "@opg/protocol";
import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  isAddress,
  keccak256,
  recoverAddress,
} from "viem";
import { sign } from "viem/accounts";
import { ZkError } from "../ZkError.js";

/**
 * "I added contribution `index` to listing `listingId`'s ceremony; the zkey after it hashes to
 * `zkeySha256`, is `zkeyBytes` long and `url` serves it" — signed by the contributing verifier's
 * key. Received announcements are hostile until `checkAnnouncement` accepts them.
 */
export type CeremonyAnnouncement = CeremonyAnnouncementMessage;

/** Why an announcement, a fetched transcript or a fetched zkey was refused. */
export type CeremonyRefusalReason =
  | "MALFORMED"
  | "TOO_LARGE"
  | "NOT_A_VERIFIER"
  | "BAD_SIGNATURE"
  | "HASH_MISMATCH"
  | "ZKEY_INVALID"
  | "FORK";

/** A ceremony step refused: `reason` says which check failed. */
export class CeremonyRefusedError extends ZkError {
  constructor(
    readonly reason: CeremonyRefusalReason,
    message: string,
    options: { details?: string | undefined; cause?: unknown } = {},
  ) {
    // The reason leads the details, so an HTTP error body (`{code, message, details}`) carries it.
    super("CEREMONY_REFUSED", message, {
      ...options,
      details: options.details === undefined ? reason : `${reason}: ${options.details}`,
    });
  }
}

const MAX_URL_LENGTH = 512;
const MAX_INDEX = 1024;

/** What the contributor signs (not EIP-712: it never goes on chain). */
export function announcementDigest(a: Omit<CeremonyAnnouncement, "signature">): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "string" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "address" },
        { type: "string" },
      ],
      [
        "opg-zk-ceremony-announcement",
        a.listingId,
        BigInt(a.index),
        `0x${a.zkeySha256}`,
        BigInt(a.zkeyBytes),
        a.contributor,
        a.url,
      ],
    ),
  );
}

export async function signAnnouncement(
  a: Omit<CeremonyAnnouncement, "signature">,
  privateKey: Hex,
): Promise<CeremonyAnnouncement> {
  return { ...a, signature: await sign({ hash: announcementDigest(a), privateKey, to: "hex" }) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Shape only: the fields, their formats and bounds (no signature recovery). */
export function parseAnnouncement(raw: unknown): CeremonyAnnouncement {
  const bad = (what: string) =>
    new CeremonyRefusedError("MALFORMED", `Malformed ceremony announcement: ${what}.`);
  if (!isObject(raw)) throw bad("not an object");
  const { listingId, index, zkeySha256, zkeyBytes, contributor, url, signature } = raw;
  if (typeof listingId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(listingId)) throw bad("listingId");
  if (typeof index !== "number" || !Number.isInteger(index) || index < 1 || index > MAX_INDEX)
    throw bad("index");
  if (typeof zkeySha256 !== "string" || !/^[0-9a-f]{64}$/.test(zkeySha256)) throw bad("zkeySha256");
  if (typeof zkeyBytes !== "number" || !Number.isSafeInteger(zkeyBytes) || zkeyBytes < 1)
    throw bad("zkeyBytes");
  if (typeof contributor !== "string" || !isAddress(contributor, { strict: false })) throw bad("contributor");
  if (typeof url !== "string" || url.length > MAX_URL_LENGTH || !/^https?:\/\//.test(url)) throw bad("url");
  try {
    new URL(url);
  } catch {
    throw bad("url");
  }
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) throw bad("signature");
  return {
    listingId: listingId.toLowerCase() as Hex,
    index,
    zkeySha256,
    zkeyBytes,
    contributor: getAddress(contributor),
    url: url.replace(/\/+$/, ""),
    signature: signature as Hex,
  };
}

/**
 * Accepts an announcement only from a member of the verifier set, cheapest checks first: shape,
 * size bound, membership, then the signature (the only costly step). Throws CeremonyRefusedError.
 */
export async function checkAnnouncement(
  raw: unknown,
  policy: { verifierSet: readonly Address[]; maxZkeyBytes: number },
): Promise<CeremonyAnnouncement> {
  const a = parseAnnouncement(raw);
  if (a.zkeyBytes > policy.maxZkeyBytes) {
    throw new CeremonyRefusedError(
      "TOO_LARGE",
      `The announced zkey is ${a.zkeyBytes} bytes, over the ${policy.maxZkeyBytes}-byte limit.`,
    );
  }
  if (!policy.verifierSet.some((m) => m.toLowerCase() === a.contributor.toLowerCase())) {
    throw new CeremonyRefusedError("NOT_A_VERIFIER", `${a.contributor} is not a member of the verifier set.`);
  }
  const { signature, ...fields } = a;
  let signer: Address | undefined;
  try {
    signer = await recoverAddress({
      hash: announcementDigest({ ...fields, url: signedUrl(raw) }),
      signature,
    });
  } catch {
    signer = undefined;
  }
  if (signer?.toLowerCase() !== a.contributor.toLowerCase()) {
    throw new CeremonyRefusedError("BAD_SIGNATURE", `The announcement is not signed by ${a.contributor}.`);
  }
  return a;
}

/** The URL exactly as signed (parseAnnouncement trims trailing slashes for use). */
const signedUrl = (raw: unknown): string => (raw as { url: string }).url;
