import {
  type BatchTopicMessage,
  decodeBatchTopicMessage,
  type OpgDomain,
  recoverBatchRootSigner,
  recoverEnclaveRegistrationSigner,
  ValidationError,
  WIRE_LIMITS,
} from "@opg/protocol";
import { CeremonyRefusedError, checkAnnouncement } from "@opg/zk";
import { type Address, type Hex, isAddressEqual } from "viem";
import type { RegistryCache } from "../pipeline/RegistryCache.js";
import type { VerifierStore } from "../store/VerifierStore.js";

type SignedHeader = { configDigest: Hex; batchId: bigint; root: Hex; count: number; signature: Hex };

/** Verifier equivocation evidence: both signed headers, as JSON (bigints as strings). */
export function encodeVerifierEvidence(a: SignedHeader, b: SignedHeader): Uint8Array {
  const plain = (h: SignedHeader) => ({ ...h, batchId: h.batchId.toString() });
  return new TextEncoder().encode(JSON.stringify({ a: plain(a), b: plain(b) }));
}

export function decodeVerifierEvidence(bytes: Uint8Array): { a: SignedHeader; b: SignedHeader } {
  const raw = JSON.parse(new TextDecoder().decode(bytes)) as { a: SignedHeader; b: SignedHeader };
  const typed = (h: SignedHeader): SignedHeader => ({
    configDigest: h.configDigest,
    batchId: BigInt(h.batchId),
    root: h.root,
    count: h.count,
    signature: h.signature,
  });
  return { a: typed(raw.a), b: typed(raw.b) };
}

export type { BatchTopicMessage };

/** A message under an unknown config digest makes the node read the set again, at most this often. */
const SET_REFRESH_MS = 2_000;

export type BatchRejectCode =
  | "DUPLICATE"
  | "MALFORMED"
  | "STALE_CONFIG"
  | "STALE_REGISTRATION"
  | "NOT_A_VERIFIER"
  | "BAD_SIGNATURE"
  | "VERIFIER_EQUIVOCATION";

/** A held signature is forwarded at most once per this window (verifiers re-gossip every 3 s). */
const DUPLICATE_WINDOW_MS = 2_500;

const signatureKey = (m: { batchId: bigint; root: Hex; verifier: Address }): string =>
  `${m.batchId}:${m.root}:${m.verifier.toLowerCase()}`;

/** IGNORE codes of the batch topic that say nothing against the sender. */
export const BLAMELESS_BATCH_IGNORES: readonly string[] = ["CHAIN_UNAVAILABLE", "DUPLICATE", "TOO_LARGE"];

/**
 * The gossip validator of the batch-signatures topic: decodes, checks the config digest is the
 * active set's, the signer is in that set and the EIP-712 signature (BatchRoot, or
 * EnclaveRegistration for kind 4) is theirs. A verifier that signs two roots for one batch id is
 * caught here: the evidence is kept and the message REJECTed.
 */
export class BatchGossip {
  /** When each held signature was last let through (bounded). */
  private readonly forwarded = new Map<string, number>();

  constructor(
    private readonly deps: {
      domain: OpgDomain;
      registry: RegistryCache;
      store: VerifierStore;
      onEquivocation?: ((verifier: Address, batchId: bigint) => void) | undefined;
      /** Largest ceremony zkey this node fetches: larger announcements are ignored. */
      ceremonyMaxZkeyBytes?: number | undefined;
      now?: () => number;
    },
  ) {}

  validate = async (bytes: Uint8Array): Promise<BatchTopicMessage> => {
    let decoded: BatchTopicMessage;
    try {
      decoded = decodeBatchTopicMessage(bytes);
    } catch (cause) {
      throw new ValidationError<BatchRejectCode>(
        "REJECT",
        "MALFORMED",
        "The batch message does not decode.",
        { cause },
      );
    }
    if (decoded.kind === "ceremony") return this.validateCeremony(decoded);
    const m = decoded.message;
    const signer = decoded.kind === "proposal" ? decoded.message.proposer : decoded.message.verifier;
    if (decoded.kind === "enclave") {
      const nowSeconds = BigInt(Math.floor((this.deps.now ?? Date.now)() / 1000));
      if (decoded.message.expiresAt <= nowSeconds) {
        throw new ValidationError<BatchRejectCode>(
          "IGNORE",
          "STALE_REGISTRATION",
          "The enclave registration has expired.",
        );
      }
    }
    let set: Awaited<ReturnType<RegistryCache["verifierConfig"]>>;
    try {
      set = await this.deps.registry.verifierConfig();
    } catch (cause) {
      throw new ValidationError<string>(
        "IGNORE",
        "CHAIN_UNAVAILABLE",
        "The verifier set could not be read.",
        { cause },
      );
    }
    if (m.configDigest !== set.configDigest) {
      // Perhaps the set changed and this node has not seen it yet: read it again (rate-limited).
      try {
        set = await this.deps.registry.freshVerifierConfig(SET_REFRESH_MS);
      } catch {
        // keep the cached set
      }
    }
    if (m.configDigest !== set.configDigest) {
      throw new ValidationError<BatchRejectCode>(
        "IGNORE",
        "STALE_CONFIG",
        "Signed for another verifier set.",
      );
    }
    if (!set.signers.some((s) => isAddressEqual(s, signer))) {
      throw new ValidationError<BatchRejectCode>(
        "REJECT",
        "NOT_A_VERIFIER",
        `${signer} is not an active verifier.`,
      );
    }
    if (decoded.kind === "signature" && this.deps.store.hasSignature(decoded.message)) {
      // A signature we hold (checked when stored): never recovered again. Verifiers re-gossip
      // their signatures every few seconds until the batch settles, so one copy per window is
      // accepted and forwarded (peers that missed it still get it); replays within the window
      // are dropped, neither forwarded nor rewarded.
      const key = signatureKey(decoded.message);
      const now = (this.deps.now ?? Date.now)();
      const last = this.forwarded.get(key);
      if (last !== undefined && now - last < DUPLICATE_WINDOW_MS) {
        throw new ValidationError<BatchRejectCode>("IGNORE", "DUPLICATE", "This signature is already known.");
      }
      this.remember(key);
      return decoded;
    }
    if (decoded.kind === "proposal" && decoded.message.count > WIRE_LIMITS.batchResults) {
      throw new ValidationError<BatchRejectCode>("REJECT", "MALFORMED", "Too many results in one proposal.");
    }
    let recovered: Address;
    try {
      recovered =
        decoded.kind === "enclave"
          ? recoverEnclaveRegistrationSigner(this.deps.domain, decoded.message, m.signature)
          : recoverBatchRootSigner(this.deps.domain, decoded.message, m.signature);
    } catch (cause) {
      throw new ValidationError<BatchRejectCode>("REJECT", "BAD_SIGNATURE", "The signature is invalid.", {
        cause,
      });
    }
    if (!isAddressEqual(recovered, signer)) {
      throw new ValidationError<BatchRejectCode>(
        "REJECT",
        "BAD_SIGNATURE",
        "The message is not signed by its verifier.",
      );
    }
    if (decoded.kind === "enclave") return decoded;
    const b = decoded.message;
    const conflict = this.deps.store.conflictingSignature(b.batchId, b.root, b.configDigest, signer);
    if (conflict) {
      const fresh = this.deps.store.insertEquivocation({
        kind: "verifier",
        key: `${signer.toLowerCase()}:${b.batchId}`,
        offender: signer,
        evidence: encodeVerifierEvidence(
          {
            configDigest: b.configDigest,
            batchId: b.batchId,
            root: b.root,
            count: b.count,
            signature: b.signature,
          },
          conflict,
        ),
      });
      if (fresh) this.deps.onEquivocation?.(signer, b.batchId);
      throw new ValidationError<BatchRejectCode>(
        "REJECT",
        "VERIFIER_EQUIVOCATION",
        "The verifier signed two roots for one batch.",
      );
    }
    if (decoded.kind === "signature") this.remember(signatureKey(decoded.message));
    return decoded;
  };

  /**
   * A ceremony announcement (kind 5): accepted only from a member of the current verifier set,
   * cheapest checks first (`checkAnnouncement`: shape, size bound, membership, signature). The
   * zkey itself is fetched after delivery (`CeremonyAnnouncements`), never here.
   */
  private async validateCeremony(
    decoded: Extract<BatchTopicMessage, { kind: "ceremony" }>,
  ): Promise<BatchTopicMessage> {
    let set: Awaited<ReturnType<RegistryCache["verifierConfig"]>>;
    try {
      set = await this.deps.registry.verifierConfig();
    } catch (cause) {
      throw new ValidationError<string>(
        "IGNORE",
        "CHAIN_UNAVAILABLE",
        "The verifier set could not be read.",
        {
          cause,
        },
      );
    }
    try {
      await checkAnnouncement(decoded.message, {
        verifierSet: set.signers,
        maxZkeyBytes: this.deps.ceremonyMaxZkeyBytes ?? Number.MAX_SAFE_INTEGER,
      });
    } catch (e) {
      if (!(e instanceof CeremonyRefusedError)) throw e;
      // Over this node's own size bound says nothing against the sender; the rest does.
      const action = e.reason === "TOO_LARGE" ? "IGNORE" : "REJECT";
      const named = ["NOT_A_VERIFIER", "BAD_SIGNATURE", "TOO_LARGE"];
      const code = named.includes(e.reason) ? e.reason : "MALFORMED";
      throw new ValidationError<string>(action, code, e.shortMessage);
    }
    return decoded;
  }

  private remember(key: string): void {
    this.forwarded.delete(key);
    this.forwarded.set(key, (this.deps.now ?? Date.now)());
    if (this.forwarded.size > 4096) this.forwarded.delete(this.forwarded.keys().next().value as string);
  }
}
