import { modeMask } from "@opg/contracts";
import {
  encodeResultMessage,
  hashEncodedTensors,
  ProofMode,
  type ResultMessage,
  signDigest,
  signExecutionResult,
  WIRE_LIMITS,
} from "@opg/protocol";
import { deployLocalNetwork, devPrivateKey, HardhatNode, type LocalNetwork } from "@opg/testkit";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPoolOptions } from "../src/pipeline/CheckPool.js";
import { ResultRejected } from "../src/pipeline/ResultValidator.js";
import type { VerifierCore } from "../src/VerifierCore.js";
import { localVerifiers } from "./helpers/localVerifiers.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/check-pool-model"));
const TEE_ONLY = keccak256(toHex("opg/test/check-pool-tee-only"));

/** A verdict, comparable between two verifiers. */
async function verdict(core: VerifierCore, bytes: Uint8Array) {
  try {
    const ok = await core.intake.validate(bytes);
    core.intake.accept(ok);
    return { accepted: { message: ok.message, resultHash: ok.resultHash } };
  } catch (e) {
    if (!(e instanceof ResultRejected)) throw e;
    const cause = e.cause as { name?: string; code?: string } | undefined;
    return {
      refused: [
        e.step,
        e.action,
        e.code,
        e.shortMessage,
        e.details,
        e.authenticated,
        cause?.name,
        cause?.code,
      ],
    };
  }
}

describe("opg-verify with check workers (the daemon's two-core default: one worker, the event loop sharing): the same verdicts as inline validation, on a real chain", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let inline: VerifierCore;
  let pooled: VerifierCore;

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [
        { modelId: MODEL, metadataURI: "test", modes: modeMask(ProofMode.NONE), price: 0n },
        { modelId: TEE_ONLY, metadataURI: "test", modes: modeMask(ProofMode.TEE), price: 0n },
      ],
    });
    const batching = { maxBatchSize: 64, maxBatchAgeMs: 3_600_000 };
    inline = localVerifiers(net, batching, () => true, { count: 1 }).cores[0]!;
    pooled = localVerifiers(net, batching, () => true, { checks: checkPoolOptions(undefined, 2), count: 1 })
      .cores[0]!;
    await pooled.checks.whenReady();
  }, 120_000); // a chain and a deployment: slow on a loaded machine

  afterAll(async () => {
    await inline?.stop();
    await pooled?.stop();
    chain?.stop();
  });

  const base = () => ({
    domain: inline.domain,
    requesterKey: net.requesterKeys[0]!,
    executorKey: net.executorKeys[0]!,
    modelId: MODEL,
  });
  const resigned = (m: ResultMessage) =>
    encodeResultMessage({ ...m, signature: signExecutionResult(net.executorKeys[0]!, inline.domain, m) });

  it("default: valid, forged, malformed, oversized and otherwise bad results get the same verdicts", async () => {
    const ok = signedResult({ ...base(), nonce: 1n });
    const m = (nonce: bigint) => signedResult({ ...base(), nonce }).message;
    const direct = m(7n);
    if (direct.origin.type !== "direct") throw new Error("direct expected");
    const badOutputs = new Uint8Array([0xff, 0x01, 0x02]);
    const corpus: [string, Uint8Array][] = [
      ["valid", ok.bytes],
      ["replay", ok.bytes],
      ["garbage", new Uint8Array([1, 2, 3])],
      ["truncated", ok.bytes.subarray(0, ok.bytes.length - 5)],
      ["oversized", new Uint8Array(WIRE_LIMITS.resultMessageBytes + 1)],
      ["forged signature", encodeResultMessage({ ...m(3n), signature: m(4n).signature })],
      ["bad v", encodeResultMessage({ ...m(5n), signature: `${m(5n).signature.slice(0, -2)}1f` as Hex })],
      ["outputs mismatch", encodeResultMessage({ ...m(6n), outputs: m(8n).outputs })],
      ["request id mismatch", encodeResultMessage({ ...direct, origin: { ...direct.origin, nonce: 99n } })],
      [
        "wrong requester",
        encodeResultMessage({
          ...direct,
          origin: { ...direct.origin, requesterSignature: signDigest(devPrivateKey(17), direct.requestId) },
        }),
      ],
      [
        "bad outputs",
        resigned({ ...m(9n), outputs: badOutputs, outputHash: hashEncodedTensors(badOutputs) }),
      ],
      [
        "unregistered executor",
        signedResult({ ...base(), executorKey: devPrivateKey(18), nonce: 10n }).bytes,
      ],
      ["unknown model", signedResult({ ...base(), modelId: keccak256(toHex("nope")), nonce: 11n }).bytes],
      ["mode not allowed", signedResult({ ...base(), modelId: TEE_ONLY, nonce: 12n }).bytes],
      ["expired", signedResult({ ...base(), nonce: 13n, deadline: 1_000n }).bytes],
      ["proof bytes on NONE", encodeResultMessage({ ...m(14n), proof: new Uint8Array([1]) })],
      [
        "no verifier for mode",
        signedResult({ ...base(), modelId: TEE_ONLY, mode: ProofMode.TEE, nonce: 15n }).bytes,
      ],
      ["valid 2", signedResult({ ...base(), nonce: 16n }).bytes],
    ];
    const codes: string[] = [];
    for (const [name, bytes] of corpus) {
      const a = await verdict(inline, bytes);
      const b = await verdict(pooled, bytes);
      expect(b, name).toEqual(a);
      codes.push(String(a.refused?.[2] ?? "ACCEPTED"));
    }
    expect(codes).toEqual([
      "ACCEPTED",
      "DUPLICATE",
      "MALFORMED",
      "MALFORMED",
      "MALFORMED",
      "BAD_SIGNATURE",
      "BAD_SIGNATURE",
      "OUTPUT_HASH_MISMATCH",
      "REQUEST_ID_MISMATCH",
      "BAD_REQUEST_SIGNATURE",
      "BAD_OUTPUTS",
      "UNREGISTERED_EXECUTOR",
      "UNKNOWN_MODEL",
      "MODE_NOT_ALLOWED",
      "REQUEST_EXPIRED",
      "BAD_PROOF",
      "NO_VERIFIER_FOR_MODE",
      "ACCEPTED",
    ]);
    // The stateless checks ran on the worker (one at a time: it always had room); the replay, the truncated copy of a result held (its
    // header names a known result: decoded here, MALFORMED) and the oversized bytes never reached one.
    expect(pooled.checks.workerStats.messages).toBe(corpus.length - 3);
    expect(pooled.store.counts().results).toBe(inline.store.counts().results);
  });

  it("behavior: a burst beyond the worker's room is shared with the event loop, every result verified once", async () => {
    const burst = Array.from({ length: 96 }, (_, i) =>
      signedResult({ ...base(), nonce: 2_000n + BigInt(i) }),
    );
    const before = { worker: pooled.checks.workerStats.messages, inline: pooled.checks.inlineChecks };
    const stored = pooled.store.counts().results;
    const verified = await Promise.all(burst.map((r) => pooled.intake.validate(r.bytes)));
    for (const v of verified) pooled.intake.accept(v);
    const byWorker = pooled.checks.workerStats.messages - before.worker;
    const byEventLoop = pooled.checks.inlineChecks - before.inline;
    expect(byWorker + byEventLoop).toBe(burst.length);
    expect(byWorker).toBeGreaterThanOrEqual(32); // topped up to four batches of eight first
    expect(byEventLoop).toBeGreaterThan(0);
    expect(pooled.store.counts().results).toBe(stored + burst.length);
  });

  it("error: a check worker that dies mid-flight drops its messages as INTERNAL (blameless) and is replaced", async () => {
    const messages = Array.from({ length: 16 }, (_, i) =>
      signedResult({ ...base(), nonce: 1_000n + BigInt(i) }),
    );
    const inFlight = Promise.allSettled(messages.map((r) => pooled.intake.validate(r.bytes)));
    await new Promise((r) => setImmediate(r)); // dispatched to the workers
    await Promise.all(pooled.checks.threads.map((w) => w.terminate()));
    const settled = await inFlight;
    const refused = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as ResultRejected] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused)
      expect([e.code, e.action, e.authenticated]).toEqual(["INTERNAL", "IGNORE", false]);
    await pooled.checks.whenReady();
    expect(pooled.checks.readyWorkers).toBe(1);
    // Republished, they are verified.
    for (const r of messages) expect((await verdict(pooled, r.bytes)).accepted).toBeDefined();
  });
});
