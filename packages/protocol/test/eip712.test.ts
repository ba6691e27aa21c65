import { bytesToHex, type Hex, hashTypedData, hexToBytes, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  batchRootDigest,
  EIP712_TYPES,
  type EnclaveRegistration,
  type ExecutionResult,
  enclaveRegistrationDigest,
  executionResultDigest,
  type InferenceRequest,
  inferenceRequestDigest,
  type OpgDomain,
  ProofMode,
  recoverDigestSigner,
  recoverEnclaveRegistrationSigner,
  recoverExecutionResultSigner,
  recoverInferenceRequestSigner,
  SignatureError,
  signDigest,
  signEnclaveRegistration,
  signExecutionResult,
  signInferenceRequest,
  toTypedDataDomain,
} from "../src/index.js";

const key = keccak256(toHex("opg/test/key"));
const account = privateKeyToAccount(key);
const domain: OpgDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const request: InferenceRequest = {
  requester: account.address,
  modelId: keccak256(toHex("model")),
  inputHash: keccak256(toHex("input")),
  mode: ProofMode.ZK,
  nonce: 42n,
  deadline: 1_900_000_000n,
};
const result: ExecutionResult = {
  requestId: keccak256(toHex("req")),
  modelId: request.modelId,
  inputHash: request.inputHash,
  outputHash: keccak256(toHex("out")),
  mode: ProofMode.NONE,
};
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function expectSigError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SignatureError);
    expect((e as SignatureError).code).toBe(code);
    return;
  }
  throw new Error(`expected SignatureError ${code}`);
}

describe("EIP-712", () => {
  it("default: digests equal viem's hashTypedData", () => {
    const d = toTypedDataDomain(domain);
    expect(inferenceRequestDigest(domain, request)).toBe(
      hashTypedData({ domain: d, types: EIP712_TYPES, primaryType: "InferenceRequest", message: request }),
    );
    expect(executionResultDigest(domain, result)).toBe(
      hashTypedData({ domain: d, types: EIP712_TYPES, primaryType: "ExecutionResult", message: result }),
    );
    const batch = { configDigest: result.requestId, batchId: 9n, root: result.outputHash, count: 256 };
    expect(batchRootDigest(domain, batch)).toBe(
      hashTypedData({ domain: d, types: EIP712_TYPES, primaryType: "BatchRoot", message: batch }),
    );
  });

  it("default: the EnclaveRegistration digest equals viem's, and its signature binds every field", async () => {
    const registration: EnclaveRegistration = {
      enclave: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      measurement: keccak256(toHex("measurement")),
      expiresAt: 1_900_010_800n,
      configDigest: keccak256(toHex("config")),
    };
    const d = toTypedDataDomain(domain);
    expect(enclaveRegistrationDigest(domain, registration)).toBe(
      hashTypedData({
        domain: d,
        types: EIP712_TYPES,
        primaryType: "EnclaveRegistration",
        message: registration,
      }),
    );
    const signature = signEnclaveRegistration(key, domain, registration);
    expect(
      await account.signTypedData({
        domain: d,
        types: EIP712_TYPES,
        primaryType: "EnclaveRegistration",
        message: registration,
      }),
    ).toBe(signature);
    expect(recoverEnclaveRegistrationSigner(domain, registration, signature)).toBe(account.address);
    for (const changed of [
      { ...registration, expiresAt: registration.expiresAt + 1n },
      { ...registration, measurement: keccak256(toHex("other")) },
      { ...registration, configDigest: keccak256(toHex("other config")) },
      { ...registration, enclave: account.address },
    ]) {
      expect(recoverEnclaveRegistrationSigner(domain, changed, signature)).not.toBe(account.address);
    }
    expect(recoverEnclaveRegistrationSigner({ ...domain, chainId: 1 }, registration, signature)).not.toBe(
      account.address,
    );
  });

  it("behavior: a wallet's signTypedData signature recovers to the wallet", async () => {
    const signature = await account.signTypedData({
      domain: toTypedDataDomain(domain),
      types: EIP712_TYPES,
      primaryType: "InferenceRequest",
      message: request,
    });
    expect(recoverInferenceRequestSigner(domain, request, signature)).toBe(account.address);
    const ours = signInferenceRequest(key, domain, request);
    expect(ours.signature).toBe(signature); // RFC 6979: deterministic
    expect(ours.requestId).toBe(inferenceRequestDigest(domain, request));
  });

  it("behavior: digests of extreme field values equal viem's; values that do not fit their type throw", () => {
    const d = toTypedDataDomain(domain);
    const max = { ...request, mode: 255 as ProofMode, nonce: 2n ** 256n - 1n, deadline: 2n ** 64n - 1n };
    expect(inferenceRequestDigest(domain, max)).toBe(
      hashTypedData({ domain: d, types: EIP712_TYPES, primaryType: "InferenceRequest", message: max }),
    );
    const zero = { ...result, mode: ProofMode.NONE, requestId: `0x${"0".repeat(64)}` as Hex };
    expect(executionResultDigest(domain, zero)).toBe(
      hashTypedData({ domain: d, types: EIP712_TYPES, primaryType: "ExecutionResult", message: zero }),
    );
    expect(() => executionResultDigest(domain, { ...result, modelId: "0x1234" })).toThrow(TypeError);
    expect(() => executionResultDigest(domain, { ...result, mode: 256 as ProofMode })).toThrow(RangeError);
    expect(() => executionResultDigest(domain, { ...result, mode: -1 as ProofMode })).toThrow(RangeError);
    expect(() => inferenceRequestDigest(domain, { ...request, deadline: 2n ** 64n })).toThrow(RangeError);
    expect(() => inferenceRequestDigest(domain, { ...request, requester: "0xabc" })).toThrow(TypeError);
  });

  it("behavior: the domain binds chain and hub", () => {
    const sig = signExecutionResult(key, domain, result);
    expect(recoverExecutionResultSigner(domain, result, sig)).toBe(account.address);
    expect(recoverExecutionResultSigner({ ...domain, chainId: 1 }, result, sig)).not.toBe(account.address);
    expect(
      recoverExecutionResultSigner({ ...domain, verifyingContract: account.address }, result, sig),
    ).not.toBe(account.address);
  });

  it("error: the malleable twin (high s) of a valid signature", () => {
    const digest = executionResultDigest(domain, result);
    const sig = hexToBytes(signDigest(key, digest));
    const s = BigInt(bytesToHex(sig.subarray(32, 64)));
    const twin = new Uint8Array(sig);
    twin.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, "0")}`), 32);
    twin[64] = sig[64] === 27 ? 28 : 27;
    expectSigError(() => recoverDigestSigner(digest, twin), "HIGH_S");
  });

  it("error: wrong length, v, r and s", () => {
    const digest = executionResultDigest(domain, result);
    const sig = hexToBytes(signDigest(key, digest));
    expectSigError(() => recoverDigestSigner(digest, sig.subarray(0, 64)), "BAD_LENGTH");
    expectSigError(() => recoverDigestSigner(digest, "0xzz" as Hex), "BAD_LENGTH");
    const badV = new Uint8Array(sig);
    badV[64] = 1;
    expectSigError(() => recoverDigestSigner(digest, badV), "BAD_V");
    const zeroR = new Uint8Array(sig);
    zeroR.fill(0, 0, 32);
    expectSigError(() => recoverDigestSigner(digest, zeroR), "BAD_RS");
  });
});

describe("secp256k1 backends", () => {
  it("default: the libsecp256k1 binding loads on this platform", async () => {
    const { secp256k1Backend } = await import("../src/index.node.js");
    expect(secp256k1Backend.name).toBe("libsecp256k1");
  });

  it("behavior: libsecp256k1 and noble give the same signatures and keys", async () => {
    const { secp256k1 } = await import("@noble/curves/secp256k1");
    const { secp256k1Backend } = await import("../src/index.node.js");
    for (let i = 0; i < 20; i++) {
      const digest = hexToBytes(keccak256(toHex(`digest/${i}`)));
      const priv = hexToBytes(keccak256(toHex(`key/${i}`)));
      const ours = secp256k1Backend.sign(digest, priv);
      const theirs = secp256k1.sign(digest, priv, { lowS: true });
      expect(bytesToHex(ours.signature)).toBe(bytesToHex(theirs.toCompactRawBytes()));
      expect(ours.recid).toBe(theirs.recovery);
      expect(bytesToHex(secp256k1Backend.recover(ours.signature, ours.recid, digest))).toBe(
        bytesToHex(secp256k1.getPublicKey(priv, false)),
      );
    }
  });
});
