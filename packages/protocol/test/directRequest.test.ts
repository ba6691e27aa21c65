import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  authenticateDirectRequest,
  DirectRequestError,
  type InferenceRequest,
  type OpgDomain,
  ProofMode,
  SignatureError,
  signInferenceRequest,
} from "../src/index.js";

const key = keccak256(toHex("opg/test/direct-requester"));
const other = keccak256(toHex("opg/test/someone-else"));
const requester = privateKeyToAccount(key).address;
const domain: OpgDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const request: InferenceRequest = {
  requester,
  modelId: keccak256(toHex("model")),
  inputHash: keccak256(toHex("input")),
  mode: ProofMode.NONE,
  nonce: 7n,
  deadline: 1_900_000_000n,
};

/** The check, its throw as a rejection (the assertions read a result or an error alike). */
const authenticate = async (...args: Parameters<typeof authenticateDirectRequest>) =>
  authenticateDirectRequest(...args);

describe("authenticateDirectRequest", () => {
  it("behavior: a request signed by its requester resolves with its requestId", async () => {
    const { requestId, signature } = signInferenceRequest(key, domain, request);
    await expect(authenticate(domain, request, signature)).resolves.toBe(requestId);
    await expect(
      authenticate(domain, request, signature, {
        requestId,
        nowSeconds: request.deadline,
      }),
    ).resolves.toBe(requestId);
  });

  it("error: WRONG_SIGNER when another key signed the request", async () => {
    const { signature } = signInferenceRequest(other, domain, request);
    const err = await authenticate(domain, request, signature).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectRequestError);
    expect(err).toMatchObject({
      code: "WRONG_SIGNER",
      shortMessage: "The request is not signed by its requester.",
    });
  });

  it("error: EXPIRED once the deadline plus grace has passed, not before", async () => {
    const { signature } = signInferenceRequest(key, domain, request);
    const at = (now: bigint, graceSeconds = 0) =>
      authenticate(domain, request, signature, { nowSeconds: now, graceSeconds });
    await expect(at(request.deadline + 1n)).rejects.toMatchObject({ code: "EXPIRED" });
    await expect(at(request.deadline + 30n, 30)).resolves.toBeDefined();
    await expect(at(request.deadline + 31n, 30)).rejects.toMatchObject({
      code: "EXPIRED",
      shortMessage: "The request's deadline has passed.",
    });
  });

  it("error: a tampered request (inputs, mode, deadline) no longer authenticates", async () => {
    const { signature } = signInferenceRequest(key, domain, request);
    for (const tampered of [
      { ...request, inputHash: keccak256(toHex("other input")) },
      { ...request, mode: ProofMode.ZK },
      { ...request, deadline: request.deadline + 1n },
    ]) {
      await expect(authenticate(domain, tampered, signature)).rejects.toMatchObject({
        code: "WRONG_SIGNER",
      });
    }
  });

  it("error: REQUEST_ID_MISMATCH when the claimed requestId is not the digest of the request", async () => {
    const { signature } = signInferenceRequest(key, domain, request);
    await expect(
      authenticate(domain, request, signature, { requestId: keccak256(toHex("forged")) }),
    ).rejects.toMatchObject({
      code: "REQUEST_ID_MISMATCH",
      shortMessage: "requestId is not the digest of the signed request.",
    });
  });

  it("error: BAD_SIGNATURE for a malformed signature, with the SignatureError as cause", async () => {
    const err = await authenticate(domain, request, "0x1234").catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "BAD_SIGNATURE",
      shortMessage: "The request signature is invalid: A signature is 65 bytes; got 2.",
    });
    expect((err as DirectRequestError).cause).toBeInstanceOf(SignatureError);
  });
});
