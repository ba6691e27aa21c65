import {
  executionResultDigest,
  type OpgDomain,
  ProofMode,
  recoverDigestSigner,
  signExecutionResult,
} from "@opg/protocol";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { SignaturePool } from "../src/pipeline/SignaturePool.js";

const domain: OpgDomain = { chainId: 31337, verifyingContract: privateKeyToAddress(keccak256(toHex("hub"))) };
const key = keccak256(toHex("opg/pool-test/executor"));

function signed(n: number): { digest: Hex; signature: Hex } {
  const result = {
    requestId: keccak256(toHex(`r${n}`)),
    modelId: keccak256(toHex("m")),
    inputHash: keccak256(toHex("i")),
    outputHash: keccak256(toHex(`o${n}`)),
    mode: ProofMode.NONE,
  };
  return {
    digest: executionResultDigest(domain, result),
    signature: signExecutionResult(key, domain, result),
  };
}

const pools: SignaturePool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop();
});

describe("SignaturePool", () => {
  it("default: workers recover the same signers as the inline function, batched", async () => {
    const pool = new SignaturePool({ workers: 2, maxBatch: 8 });
    pools.push(pool);
    await pool.whenReady();
    const jobs = Array.from({ length: 50 }, (_, i) => signed(i));
    const signers = await Promise.all(jobs.map((j) => pool.recover(j.digest, j.signature)));
    expect(new Set(signers)).toEqual(new Set([privateKeyToAddress(key)]));
    expect(signers[0]).toBe(recoverDigestSigner(jobs[0]!.digest, jobs[0]!.signature));
  });

  it("error: a bad signature fails with the inline function's SignatureError code", async () => {
    const pool = new SignaturePool({ workers: 1 });
    pools.push(pool);
    await pool.whenReady();
    const { digest, signature } = signed(1);
    const badV = `${signature.slice(0, -2)}1f` as Hex;
    await expect(pool.recover(digest, badV)).rejects.toMatchObject({ name: "SignatureError", code: "BAD_V" });
    const inline = new SignaturePool({ workers: 0 });
    await expect(inline.recover(digest, badV)).rejects.toMatchObject({ code: "BAD_V" });
  });
});
