import { contributionDigest, readTranscript } from "@opg/zk";
import { type Address, recoverAddress } from "viem";

/**
 * The verifier's ceremony policy as a ZkProofVerifier `keyPolicy`: a key is used only when its
 * artifact directory holds the ceremony transcript `opg-verify zk rebuild` installed (after
 * verifying every zkey step), naming this key, and its signed contributions include this node's
 * own or those of at least `minContributors` members of the current verifier set. Signatures are
 * checked here too; answers are memoised per directory and verifier set.
 */
export function ceremonyKeyPolicy(o: {
  self: Address;
  /** At least this many verifier-set members' contributions (or a function: f + 1 of the set now). */
  minContributors: number | (() => Promise<number>);
  verifierSet: () => Promise<readonly Address[]>;
}): (dir: string | undefined, vkHash: string) => Promise<string | undefined> {
  const contributorsOf = new Map<
    string,
    Promise<{ vkHash?: string | undefined; contributors: Set<string> }>
  >();
  const read = (dir: string) => {
    let p = contributorsOf.get(dir);
    if (!p) {
      p = (async () => {
        const t = await readTranscript(dir);
        const contributors = new Set<string>();
        for (const c of t.contributions) {
          const signer = await recoverAddress({
            hash: contributionDigest(t.listingId, c.contributionHash, c.zkeySha256, BigInt(c.blockNumber)),
            signature: c.signature,
          }).catch(() => undefined);
          if (signer && signer.toLowerCase() === c.contributor.toLowerCase())
            contributors.add(signer.toLowerCase());
        }
        return { vkHash: t.vkHash?.toLowerCase(), contributors };
      })();
      contributorsOf.set(dir, p);
      p.catch(() => contributorsOf.delete(dir));
    }
    return p;
  };
  return async (dir, vkHash) => {
    if (dir === undefined) return "the key's artifacts have no directory (no ceremony transcript)";
    let t: Awaited<ReturnType<typeof read>>;
    try {
      t = await read(dir);
    } catch {
      return "the key has no ceremony transcript (a single-party setup): run `opg-verify zk rebuild`";
    }
    if (t.vkHash !== vkHash.toLowerCase()) return "the ceremony transcript is not this key's";
    if (t.contributors.has(o.self.toLowerCase())) return undefined;
    const set = new Set((await o.verifierSet()).map((a) => a.toLowerCase()));
    const members = [...t.contributors].filter((c) => set.has(c)).length;
    const min = typeof o.minContributors === "number" ? o.minContributors : await o.minContributors();
    if (members >= min) return undefined;
    return `the ceremony lacks this verifier's contribution and has ${members} of the verifier set's (${min} required)`;
  };
}
