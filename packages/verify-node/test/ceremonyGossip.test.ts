/**
 * Ceremony announcements on the batch-signatures topic (kind 5): the wire form round-trips, and
 * the topic validator lets through only a verifier-set member's signed announcement.
 */
import {
  decodeBatchTopicMessage,
  decodeCeremonyAnnouncementMessage,
  encodeCeremonyAnnouncementMessage,
  type OpgDomain,
  ValidationError,
  WireError,
} from "@opg/protocol";
import { signAnnouncement } from "@opg/zk";
import { type Address, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { BatchGossip } from "../src/batching/BatchGossip.js";
import { RegistryCache } from "../src/pipeline/RegistryCache.js";
import { VerifierStore } from "../src/store/VerifierStore.js";
import { SimChain } from "./harness/SimChain.js";

const domain: OpgDomain = {
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const keys = [1, 2, 3, 4].map((i) => keccak256(toHex(`gossip-ceremony-${i}`)));
const members = keys.slice(0, 3).map((k) => privateKeyToAccount(k).address);
const outsiderKey = keys[3]!;

const fields = (contributor: Address) => ({
  listingId: keccak256(toHex("listing")),
  index: 2,
  zkeySha256: "ab".repeat(32),
  zkeyBytes: 1_002_481,
  contributor,
  url: "http://verifier-a.example:8646",
});

function gossip(maxZkeyBytes?: number): BatchGossip {
  const chain = new SimChain(domain, members, 1);
  const registry = new RegistryCache({ ttlMs: 1000 }, { chain: chain.viewFor(() => members[0]!) });
  return new BatchGossip({
    domain,
    registry,
    store: new VerifierStore(":memory:"),
    ceremonyMaxZkeyBytes: maxZkeyBytes,
  });
}

async function verdict(g: BatchGossip, bytes: Uint8Array): Promise<string> {
  try {
    const m = await g.validate(bytes);
    return `ACCEPT ${m.kind}`;
  } catch (e) {
    if (e instanceof ValidationError) return `${e.action} ${e.code}`;
    throw e;
  }
}

describe("ceremony announcements on gossip", () => {
  it("round-trips through the wire codec and the batch-topic decoder", async () => {
    const a = await signAnnouncement(fields(members[1]!), keys[1]!);
    const bytes = encodeCeremonyAnnouncementMessage(a);
    expect(decodeCeremonyAnnouncementMessage(bytes)).toEqual(a);
    expect(decodeBatchTopicMessage(bytes)).toEqual({ kind: "ceremony", message: a });
    expect(() => encodeCeremonyAnnouncementMessage({ ...a, url: `http://x/${"a".repeat(600)}` })).toThrow(
      WireError,
    );
  });

  it("accepts a member's announcement; rejects a non-member's and a forged one; ignores one over the size bound", async () => {
    const g = gossip(4 * 1024 * 1024);
    const ok = await signAnnouncement(fields(members[2]!), keys[2]!);
    expect(await verdict(g, encodeCeremonyAnnouncementMessage(ok))).toBe("ACCEPT ceremony");

    const outsider = privateKeyToAccount(outsiderKey).address;
    const foreign = await signAnnouncement(fields(outsider), outsiderKey);
    expect(await verdict(g, encodeCeremonyAnnouncementMessage(foreign))).toBe("REJECT NOT_A_VERIFIER");

    // Claims a member as contributor, signed by someone else.
    const forged = await signAnnouncement(fields(members[0]!), outsiderKey);
    expect(await verdict(g, encodeCeremonyAnnouncementMessage(forged))).toBe("REJECT BAD_SIGNATURE");

    // A member's, but a field changed after signing.
    const altered = { ...ok, zkeySha256: "cd".repeat(32) };
    expect(await verdict(g, encodeCeremonyAnnouncementMessage(altered))).toBe("REJECT BAD_SIGNATURE");

    const huge = await signAnnouncement({ ...fields(members[2]!), zkeyBytes: 5 * 1024 * 1024 }, keys[2]!);
    expect(await verdict(g, encodeCeremonyAnnouncementMessage(huge))).toBe("IGNORE TOO_LARGE");
  });
});
