import {
  decodeResultMessage,
  encodeResultMessage,
  type OpgDomain,
  ProofMode,
  type ResultMessage,
  resultHash,
  signDigest,
  signExecutionResult,
  WIRE_LIMITS,
} from "@opg/protocol";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { CheckPool, checkPoolOptions } from "../src/pipeline/CheckPool.js";
import { type Checked, runChecks } from "../src/pipeline/resultChecks.js";
import { peekResultHash } from "../src/pipeline/resultHeader.js";
import { signedResult } from "./helpers/results.js";

const domain: OpgDomain = { chainId: 31337, verifyingContract: privateKeyToAddress(keccak256(toHex("hub"))) };
const requesterKey = keccak256(toHex("opg/check-pool-test/requester"));
const executorKey = keccak256(toHex("opg/check-pool-test/executor"));
const modelId = keccak256(toHex("opg/check-pool-test/model"));

function good(nonce: number) {
  return signedResult({ domain, requesterKey, executorKey, modelId, nonce: BigInt(nonce) });
}

/** `m` with the executor's signature over its (changed) fields. */
function resigned(m: ResultMessage): Uint8Array {
  return encodeResultMessage({ ...m, signature: signExecutionResult(executorKey, domain, m) });
}

/** One message of each kind the checks tell apart. */
function corpus(): Uint8Array[] {
  const ok = good(1);
  const other = keccak256(toHex("opg/check-pool-test/other"));
  const forged = signedResult({ domain, requesterKey, executorKey: other, modelId, nonce: 2n }).message;
  const badV = { ...good(3).message, signature: `${good(3).message.signature.slice(0, -2)}1f` as Hex };
  const wrongOutputs = { ...good(4).message, outputHash: keccak256(toHex("not the outputs")) };
  const requestIdMismatch = { ...good(5).message, requestId: keccak256(toHex("never signed")) };
  const m12 = good(12).message;
  const wrongRequester =
    m12.origin.type === "direct"
      ? { ...m12, origin: { ...m12.origin, requesterSignature: signDigest(other, m12.requestId) } }
      : m12;
  const onchain = { ...good(6).message, origin: { type: "onchain" as const } };
  const byReference = { ...good(7).message, outputs: new Uint8Array(0) };
  return [
    ok.bytes,
    good(8).bytes,
    new Uint8Array([1, 2, 3]),
    ok.bytes.subarray(0, ok.bytes.length - 5),
    new Uint8Array(WIRE_LIMITS.resultMessageBytes + 1),
    encodeResultMessage({ ...forged, executor: privateKeyToAddress(executorKey) }),
    encodeResultMessage(badV),
    resigned(wrongOutputs),
    resigned(requestIdMismatch),
    encodeResultMessage(wrongRequester),
    encodeResultMessage(onchain),
    encodeResultMessage(byReference),
  ];
}

/** What a verdict is made of, comparable across threads. */
function summary(c: Checked) {
  const f = c.failure;
  const cause = f?.cause as { name?: string; code?: string; message?: string } | undefined;
  return {
    message: c.message,
    failure: f && {
      step: f.step,
      code: f.code,
      message: f.message,
      internal: f.internal === true,
      cause: cause && { name: cause.name, code: cause.code, message: cause.message },
    },
  };
}

const pools: CheckPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop();
});

describe("CheckPool", () => {
  it("default: workers give the same verdicts and decoded messages as the inline checks, batched", async () => {
    const pool = new CheckPool({ workers: 2, maxBatch: 4 }, { domain });
    pools.push(pool);
    await pool.whenReady();
    const messages = corpus();
    const inline = messages.map((b) => runChecks(domain, b));
    const pooled = await Promise.all(messages.map((b) => pool.check(b)));
    expect(pool.workerStats.messages).toBe(messages.length);
    expect(pooled.map(summary)).toEqual(inline.map(summary));
    // The corpus covers each outcome.
    expect(inline.map((c) => c.failure?.code ?? "OK")).toEqual([
      "OK",
      "OK",
      "MALFORMED",
      "MALFORMED",
      "MALFORMED",
      "BAD_SIGNATURE",
      "BAD_SIGNATURE",
      "OUTPUT_HASH_MISMATCH",
      "REQUEST_ID_MISMATCH",
      "BAD_REQUEST_SIGNATURE",
      "OK",
      "OK",
    ]);
    expect((pooled[6]!.failure!.cause as { code: string }).code).toBe("BAD_V");
    // Outputs and proof come back as views of the caller's own bytes.
    expect(pooled[0]!.message!.outputs.buffer).toBe(messages[0]!.buffer);
  });

  it("behavior: sharing with the event loop, a worker holds at most `depth` batches and the event loop checks the rest, with the same verdicts", async () => {
    const pool = new CheckPool(
      { workers: 1, shareEventLoop: true, maxBatch: 2, depth: 2, inlineChunk: 3 },
      { domain },
    );
    pools.push(pool);
    await pool.whenReady();
    const messages = [...corpus(), ...Array.from({ length: 20 }, (_, i) => good(300 + i).bytes)];
    const inline = messages.map((b) => runChecks(domain, b));
    const pooled = await Promise.all(messages.map((b) => pool.check(b)));
    expect(pooled.map(summary)).toEqual(inline.map(summary));
    expect(pool.workerStats.messages + pool.inlineChecks).toBe(messages.length);
    // The first turn filled the worker (two batches of two) and checked a chunk of three here.
    expect(pool.workerStats.messages).toBeGreaterThanOrEqual(4);
    expect(pool.inlineChecks).toBeGreaterThanOrEqual(3);
  });

  it("behavior: the daemon's pool: one worker per core but one, the event loop sharing; or as configured", () => {
    expect(checkPoolOptions(undefined, 1)).toEqual({ workers: 0 });
    expect(checkPoolOptions(undefined, 2)).toMatchObject({ workers: 1, shareEventLoop: true });
    expect(checkPoolOptions(undefined, 8)).toMatchObject({ workers: 7, shareEventLoop: true });
    expect(checkPoolOptions(3, 2)).toEqual({ workers: 3 });
    expect(checkPoolOptions(0, 8)).toEqual({ workers: 0 });
  });

  it("error: settings that could never drain the queue are refused at construction", () => {
    for (const bad of [
      { maxBatch: 0 },
      { inlineChunk: 0 },
      { depth: 0 },
      { workers: -1 },
      { maxBatch: 1.5 },
    ]) {
      expect(() => new CheckPool(bad, { domain }), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it("behavior: without a ready worker the checks run inline, with the same results", async () => {
    const pool = new CheckPool({ workers: 0 }, { domain });
    pools.push(pool);
    const bytes = good(1).bytes;
    expect(summary(await pool.check(bytes))).toEqual(summary(runChecks(domain, bytes)));
    expect(pool.workerStats.messages).toBe(0);
    expect(pool.inlineChecks).toBe(1);
  });

  it("error: a worker that dies fails its in-flight messages, is replaced, and the pool carries on", async () => {
    const pool = new CheckPool({ workers: 1, maxBatch: 64 }, { domain });
    pools.push(pool);
    await pool.whenReady();
    const inFlight = Promise.allSettled(
      Array.from({ length: 32 }, (_, i) => pool.check(good(100 + i).bytes)),
    );
    await new Promise((r) => setImmediate(r)); // dispatched
    await pool.threads[0]!.terminate();
    const settled = await inFlight;
    expect(settled.some((s) => s.status === "rejected")).toBe(true);
    // Meanwhile checks run inline; then the replacement takes them.
    expect((await pool.check(good(200).bytes)).failure).toBeUndefined();
    await pool.whenReady();
    expect(pool.restarts).toBe(1);
    const before = pool.workerStats.messages;
    expect((await pool.check(good(201).bytes)).failure).toBeUndefined();
    expect(pool.workerStats.messages).toBe(before + 1);
  });
});

describe("peekResultHash", () => {
  it("default: equals resultHash of the decoded message for well-formed messages", () => {
    for (const bytes of corpus()) {
      let decoded: Hex | undefined;
      try {
        decoded = resultHash(decodeResultMessage(bytes));
      } catch {
        decoded = undefined;
      }
      if (decoded !== undefined) expect(peekResultHash(bytes)).toBe(decoded);
    }
    const onchain = encodeResultMessage({
      ...good(9).message,
      mode: ProofMode.NONE,
      origin: { type: "onchain" },
    });
    expect(peekResultHash(onchain)).toBe(resultHash(decodeResultMessage(onchain)));
  });

  it("error: bytes that do not start like a result message have none", () => {
    const bytes = good(10).bytes;
    expect(peekResultHash(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(peekResultHash(bytes.subarray(0, 159))).toBeUndefined();
    for (const at of [0, 2, 4, 139]) {
      const broken = bytes.slice();
      broken[at] = broken[at]! ^ 0xff;
      expect(peekResultHash(broken), `byte ${at}`).toBeUndefined();
    }
  });
});
