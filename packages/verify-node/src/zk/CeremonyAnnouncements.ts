import type { Logger } from "@opg/daemon";
import { ceremonyDirOf } from "@opg/runtime";
import {
  type CeremonyAnnouncement,
  CeremonyRefusedError,
  checkAnnouncement,
  fetchCeremony,
  readTranscript,
} from "@opg/zk";
import type { Address } from "viem";

export type CeremonyAnnouncementsDeps = {
  /** This node's ceremonies folder (what `mountCeremonyRoutes` serves). */
  root: string;
  /** The current verifier set's members: only their announcements and contributions are taken. */
  verifierSet: () => Promise<readonly Address[]>;
  /** Largest zkey fetched. */
  maxZkeyBytes: number;
  logger?: Logger | undefined;
};

export type AnnouncementOutcome = {
  listingId: string;
  index: number;
  zkeySha256: string;
  /** `stored`: fetched, checked and kept (now served here too); `known`: already held. */
  status: "stored" | "known";
  /** The announcement as checked. */
  announcement: CeremonyAnnouncement;
};

/**
 * Takes ceremony announcements from peers, hostile until checked (`checkAnnouncement`: shape,
 * size bound, membership, signature — cheapest first), then fetches the announced zkey by hash
 * from the announced node (transcript signatures by members only, size bound, sha256 checked) and
 * keeps it, so this node serves it to the next contributor. The zkey is checked by `zkey verify`
 * (against the rebuilt circuit and pinned phase 1) by `opg-verify zk contribute` before anyone
 * builds on it: the daemon has no circuit. One fetch per listing at a time; a refusal is an error
 * answered to the sender, never a crash.
 */
export class CeremonyAnnouncements {
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: CeremonyAnnouncementsDeps) {}

  receive = async (raw: unknown): Promise<AnnouncementOutcome> => {
    const set = await this.deps.verifierSet();
    const a = await checkAnnouncement(raw, { verifierSet: set, maxZkeyBytes: this.deps.maxZkeyBytes });
    const previous = this.busy.get(a.listingId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.take(a, set));
    this.busy.set(a.listingId, next);
    try {
      return await next;
    } finally {
      if (this.busy.get(a.listingId) === next) this.busy.delete(a.listingId);
    }
  };

  private async take(a: CeremonyAnnouncement, set: readonly Address[]): Promise<AnnouncementOutcome> {
    const dir = ceremonyDirOf(this.deps.root, a.listingId);
    const out = { listingId: a.listingId, index: a.index, zkeySha256: a.zkeySha256, announcement: a };
    const local = await readTranscript(dir).catch(() => undefined);
    if (local?.contributions[a.index - 1]?.zkeySha256 === a.zkeySha256) return { ...out, status: "known" };
    try {
      await fetchCeremony({
        dir,
        listingId: a.listingId,
        sources: [a.url],
        verifierSet: set,
        maxZkeyBytes: this.deps.maxZkeyBytes,
        announced: { index: a.index, zkeySha256: a.zkeySha256, contributor: a.contributor },
      });
    } catch (e) {
      this.deps.logger?.warn(
        { listingId: a.listingId, index: a.index, from: a.url, err: (e as Error).message },
        "ceremony announcement refused",
      );
      throw e;
    }
    const now = await readTranscript(dir).catch(() => undefined);
    if (now?.contributions[a.index - 1]?.zkeySha256 !== a.zkeySha256) {
      throw new CeremonyRefusedError("FORK", "The announced contribution is not in the ceremony fetched.");
    }
    this.deps.logger?.info(
      { listingId: a.listingId, index: a.index, contributor: a.contributor },
      "ceremony contribution fetched",
    );
    return { ...out, status: "stored" };
  }
}
