import { createRequire } from "node:module";
import {
  type InferenceRequest,
  inferenceRequestDigest,
  type OpgDomain,
  ProofMode,
  recoverInferenceRequestSigner,
  signInferenceRequest,
} from "@opg/protocol";
import { getAddress, type Hex, hexToBytes, type LocalAccount, parseSignature } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { OpgSdkError, signDirectRequest } from "../src/index.js";

type RequestVector = {
  message: { requester: Hex; modelId: Hex; inputHash: Hex; mode: number; nonce: string; deadline: string };
  digest: Hex;
};
const vectors = createRequire(import.meta.url)("@opg/protocol/vectors.json") as {
  domain: { chainId: number; verifyingContract: Hex };
  eip712: { inferenceRequest: RequestVector[] };
};
const vectorDomain: OpgDomain = {
  chainId: vectors.domain.chainId,
  verifyingContract: getAddress(vectors.domain.verifyingContract),
};

const domain: OpgDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };

function requestFor(account: LocalAccount, nonce = 7n): InferenceRequest {
  return {
    requester: account.address,
    modelId: `0x${"ab".repeat(32)}`,
    inputHash: `0x${"cd".repeat(32)}`,
    mode: ProofMode.NONE,
    nonce,
    deadline: 1_900_000_000n,
  };
}

describe("signDirectRequest", () => {
  it("default: the requestId is the protocol's EIP-712 digest and the signature is the protocol's", async () => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const request = requestFor(account);
    const { requestId, signature } = await signDirectRequest(account, domain, request);
    expect(requestId).toBe(inferenceRequestDigest(domain, request));
    // RFC 6979: the viem account and the protocol's signer produce the same bytes.
    expect(signature).toBe(signInferenceRequest(key, domain, request).signature);
    expect(recoverInferenceRequestSigner(domain, request, signature)).toBe(account.address);
    const v = hexToBytes(signature)[64];
    expect(v === 27 || v === 28).toBe(true);
  });

  it("default: the requestId matches the protocol test vectors", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    for (const vector of vectors.eip712.inferenceRequest) {
      const request: InferenceRequest = {
        requester: getAddress(vector.message.requester),
        modelId: vector.message.modelId,
        inputHash: vector.message.inputHash,
        mode: vector.message.mode as ProofMode,
        nonce: BigInt(vector.message.nonce),
        deadline: BigInt(vector.message.deadline),
      };
      expect(inferenceRequestDigest(vectorDomain, request)).toBe(vector.digest);
      // Signed by another account, the digest (requestId) depends only on the request.
      const { requestId } = await signDirectRequest(account, vectorDomain, {
        ...request,
        requester: account.address,
      });
      expect(requestId).toBe(
        inferenceRequestDigest(vectorDomain, { ...request, requester: account.address }),
      );
    }
  });

  it("behavior: a signer that encodes v as 0/1 is normalised to 27/28", async () => {
    const real = privateKeyToAccount(generatePrivateKey());
    const yParityAccount: LocalAccount = {
      ...real,
      signTypedData: async (args) => {
        const sig = parseSignature(
          await real.signTypedData(args as Parameters<typeof real.signTypedData>[0]),
        );
        return `${sig.r}${sig.s.slice(2)}${sig.yParity === 1 ? "01" : "00"}` as Hex;
      },
    };
    const request = requestFor(real);
    const { signature } = await signDirectRequest(yParityAccount, domain, request);
    expect(recoverInferenceRequestSigner(domain, request, signature)).toBe(real.address);
  });

  it("error: a requester other than the account is INVALID_ARGUMENT", async () => {
    const a = privateKeyToAccount(generatePrivateKey());
    const b = privateKeyToAccount(generatePrivateKey());
    await expect(signDirectRequest(a, domain, requestFor(b))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("error: an account whose signature recovers elsewhere is BAD_SIGNATURE", async () => {
    const a = privateKeyToAccount(generatePrivateKey());
    const b = privateKeyToAccount(generatePrivateKey());
    const lying: LocalAccount = { ...a, signTypedData: b.signTypedData };
    const error = await signDirectRequest(lying, domain, requestFor(a)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpgSdkError);
    expect(error).toMatchObject({ code: "BAD_SIGNATURE", retryable: false });
  });
});
