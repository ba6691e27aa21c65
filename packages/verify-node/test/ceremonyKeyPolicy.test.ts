import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CeremonyTranscript, contributionDigest } from "@opg/zk";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { ceremonyKeyPolicy } from "../src/zk/ceremonyKeyPolicy.js";

const keys = [0, 1, 2, 3].map((i) => keccak256(toHex(`policy-verifier-${i}`)));
const addr = (i: number) => privateKeyToAccount(keys[i]!).address;
const LISTING = keccak256(toHex("listing"));
const VK = keccak256(toHex("vk"));

/** An artifact dir with a transcript whose contributions are signed by `signers` (claimed by `claimed`). */
async function dirWith(signers: number[], claimed = signers): Promise<string> {
  const contributions = [];
  for (const [n, i] of signers.entries()) {
    const contributionHash = keccak256(toHex(`c${n}`))
      .slice(2)
      .repeat(2);
    const zkeySha256 = keccak256(toHex(`z${n}`)).slice(2);
    const signature = await sign({
      hash: contributionDigest(LISTING, contributionHash, zkeySha256, BigInt(n + 1)),
      privateKey: keys[i]!,
      to: "hex",
    });
    contributions.push({
      contributor: addr(claimed[n]!),
      contributionHash,
      zkeySha256,
      blockNumber: `${n + 1}`,
      signature,
    });
  }
  const t: CeremonyTranscript = {
    version: 1,
    listingId: LISTING,
    modelId: keccak256(toHex("model")),
    artifactKey: "k",
    r1csSha256: "00",
    ptauSha256: "00",
    initialZkeySha256: "00",
    contributions,
    beacon: { blockNumber: "9", blockHash: keccak256(toHex("b")), iterationsExp: 10, zkeySha256: "ff" },
    vkHash: VK,
  };
  const dir = mkdtempSync(join(tmpdir(), "opg-policy-"));
  writeFileSync(join(dir, "ceremony.json"), JSON.stringify(t));
  return dir;
}

const policy = (self: number, min = 2) =>
  ceremonyKeyPolicy({
    self: addr(self),
    minContributors: min,
    verifierSet: async () => [addr(0), addr(1), addr(2)],
  });

describe("ceremonyKeyPolicy", () => {
  it("default: a key whose ceremony holds our contribution, or f + 1 of the set's, is used", async () => {
    const dir = await dirWith([0, 1]);
    expect(await policy(0)(dir, VK)).toBeUndefined();
    expect(await policy(3)(dir, VK)).toBeUndefined();
  });

  it("error: a single-party setup (no transcript, or one outsider's contribution) is refused", async () => {
    expect(await policy(0)(mkdtempSync(join(tmpdir(), "opg-policy-")), VK)).toMatch(/no ceremony transcript/);
    expect(await policy(0)(await dirWith([3]), VK)).toMatch(/lacks this verifier's contribution and has 0/);
    expect(await policy(0)(await dirWith([1]), VK)).toMatch(/has 1 of the verifier set's \(2 required\)/);
  });

  it("behavior: the default minimum, f + 1 of the set as the chain has it now, is read when needed", async () => {
    let f = 1;
    const live = ceremonyKeyPolicy({
      self: addr(3),
      minContributors: async () => f + 1,
      verifierSet: async () => [addr(0), addr(1), addr(2)],
    });
    const dir = await dirWith([0, 1]);
    expect(await live(dir, VK)).toBeUndefined();
    f = 2;
    expect(await live(dir, VK)).toMatch(/has 2 of the verifier set's \(3 required\)/);
  });

  it("error: contributions claimed for others' keys do not count; another key's transcript is refused", async () => {
    // The outsider signs but claims to be verifiers 0 and 1.
    expect(await policy(2)(await dirWith([3, 3], [0, 1]), VK)).toMatch(/has 0 of the verifier set's/);
    expect(await policy(0)(await dirWith([0, 1]), keccak256(toHex("other")) as Hex)).toMatch(
      /not this key's/,
    );
  });
});
