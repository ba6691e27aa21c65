import { createLogger } from "@opg/daemon";
import { keccak256, toHex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { describe, expect, it, vi } from "vitest";
import { MissingResults } from "../src/batching/MissingResults.js";
import {
  type ResultRejectCode,
  ResultRejected,
  type VerifiedResult,
} from "../src/pipeline/ResultValidator.js";
import { peekResultHash } from "../src/pipeline/resultHeader.js";
import { signedResult } from "./helpers/results.js";

const logger = createLogger({ level: "silent" });
const domain = { chainId: 31337, verifyingContract: "0x0000000000000000000000000000000000000001" } as const;
const result = (nonce: number) =>
  signedResult({
    domain,
    requesterKey: generatePrivateKey(),
    executorKey: generatePrivateKey(),
    modelId: keccak256(toHex("m")),
    nonce: BigInt(nonce),
  });
const hashOf = (bytes: Uint8Array) => peekResultHash(bytes)!;
const flush = () => new Promise((r) => setTimeout(r, 10));

/** A MissingResults whose peers answer from `served` and whose intake answers `verdict`. */
function setup(o: {
  served: Map<string, Uint8Array>;
  verdict?: (bytes: Uint8Array) => ResultRejectCode | undefined;
  options?: ConstructorParameters<typeof MissingResults>[0];
  now?: () => number;
}) {
  const asked: string[] = [];
  const answers: boolean[] = [];
  const stored: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const missing = new MissingResults(o.options ?? {}, {
    logger,
    now: o.now,
    fetch: async (hash, accept) => {
      asked.push(hash);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await flush();
      inFlight -= 1;
      const bytes = o.served.get(hash);
      if (bytes === undefined || !(await accept(bytes))) throw new Error("no peer holds it");
      answers.push(true);
      return bytes;
    },
    intake: {
      validate: async (bytes) => {
        const code = o.verdict?.(bytes);
        if (code !== undefined) {
          throw new ResultRejected("signature", code === "DUPLICATE" ? "IGNORE" : "REJECT", code, code);
        }
        return { bytes, resultHash: hashOf(bytes) } as VerifiedResult;
      },
      accept: (r) => {
        stored.push(r.resultHash);
      },
    },
  });
  return { missing, asked, stored, answers, maxInFlight: () => maxInFlight };
}

describe("MissingResults", () => {
  it("default: fetches each wanted hash once, at most `concurrency` at a time, and stores what validates", async () => {
    const rs = Array.from({ length: 6 }, (_, i) => result(i));
    const served = new Map(rs.map((r) => [hashOf(r.bytes), r.bytes]));
    const t = setup({ served, options: { concurrency: 2 } });
    const hashes = rs.map((r) => hashOf(r.bytes));
    t.missing.want(hashes);
    t.missing.want(hashes); // every tick asks again while the proposal waits: no second fetch
    expect(t.missing.pending).toBe(6);
    await vi.waitUntil(() => t.missing.pending === 0);
    expect(t.asked.sort()).toEqual([...hashes].sort());
    expect(t.stored.sort()).toEqual([...hashes].sort());
    expect(t.maxInFlight()).toBe(2);
  });

  it("behavior: an answer with another header is refused before validation; a refused result is not stored", async () => {
    const [a, b, c] = [result(1), result(2), result(3)];
    const validated: string[] = [];
    const served = new Map([
      [hashOf(a.bytes), b.bytes], // another result under a's hash
      [hashOf(c.bytes), c.bytes],
    ]);
    const t = setup({
      served,
      verdict: (bytes) => {
        validated.push(hashOf(bytes));
        return "BAD_SIGNATURE";
      },
    });
    t.missing.want([hashOf(a.bytes), hashOf(c.bytes)]);
    await vi.waitUntil(() => t.missing.pending === 0);
    expect(validated).toEqual([hashOf(c.bytes)]); // b never reached validation
    expect(t.stored).toEqual([]);
  });

  it("behavior: a duplicate counts as held; a chain outage and a hash nobody serves back off for retryAfterMs", async () => {
    let now = 1_000;
    const [dup, deferred, unknown] = [result(1), result(2), result(3)];
    const served = new Map([
      [hashOf(dup.bytes), dup.bytes],
      [hashOf(deferred.bytes), deferred.bytes],
    ]);
    const t = setup({
      served,
      now: () => now,
      options: { retryAfterMs: 5_000 },
      verdict: (bytes) =>
        hashOf(bytes) === hashOf(dup.bytes) ? "DUPLICATE" : ("CHAIN_UNAVAILABLE" as ResultRejectCode),
    });
    const all = [dup, deferred, unknown].map((r) => hashOf(r.bytes));
    t.missing.want(all);
    await vi.waitUntil(() => t.missing.pending === 0);
    expect(t.answers).toHaveLength(2); // the duplicate and the deferred one were answered
    now += 4_000;
    t.missing.want(all);
    await vi.waitUntil(() => t.missing.pending === 0);
    // Only the duplicate (held) may be asked again; the other two wait out their back-off.
    expect(t.asked.filter((h) => h !== hashOf(dup.bytes))).toHaveLength(2);
    now += 2_000;
    t.missing.want(all);
    await vi.waitUntil(() => t.missing.pending === 0);
    expect(t.asked.filter((h) => h === hashOf(unknown.bytes))).toHaveLength(2);
    expect(t.asked.filter((h) => h === hashOf(deferred.bytes))).toHaveLength(2);
  });

  it("limit: at most maxQueued hashes wait; stop drops them and aborts, start takes requests again", async () => {
    const served = new Map<string, Uint8Array>();
    const t = setup({ served, options: { maxQueued: 3, concurrency: 1 } });
    const many = Array.from({ length: 10 }, (_, i) => keccak256(toHex(`h${i}`)));
    t.missing.want(many);
    expect(t.missing.pending).toBe(3);
    t.missing.stop();
    t.missing.want(many);
    await flush();
    await flush();
    expect(t.asked.length).toBeLessThanOrEqual(1);
    t.missing.start();
    t.missing.want([many[9]!]);
    await vi.waitUntil(() => t.asked.includes(many[9]!));
  });
});
