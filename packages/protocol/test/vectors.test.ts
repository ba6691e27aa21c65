import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, hashTypedData, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import {
  decodeBatchSignatureMessage,
  decodeEnclaveRegistrationSignatureMessage,
  decodeResultMessage,
  decodeTensors,
  EIP712_TYPES,
  encodeTensors,
  modelIdFromFile,
  ResultBatchTree,
  recoverDigestSigner,
  toTypedDataDomain,
} from "../src/index.node.js";
import { buildProtocolVectors, tensorsFromVector } from "../src/vectors.js";

const committed = JSON.parse(
  readFileSync(new URL("../vectors/protocol-vectors.json", import.meta.url), "utf8"),
) as ReturnType<typeof buildProtocolVectors>;

describe("protocol vectors", () => {
  it("default: the committed file is what this package computes", () => {
    expect(JSON.parse(JSON.stringify(buildProtocolVectors()))).toEqual(committed);
  });

  it("behavior: digests agree with viem's independent EIP-712 implementation", () => {
    const domain = toTypedDataDomain(committed.domain as { chainId: number; verifyingContract: Hex });
    for (const v of committed.eip712.inferenceRequest) {
      const message = { ...v.message, nonce: BigInt(v.message.nonce), deadline: BigInt(v.message.deadline) };
      expect(hashTypedData({ domain, types: EIP712_TYPES, primaryType: "InferenceRequest", message })).toBe(
        v.digest,
      );
    }
    for (const v of committed.eip712.executionResult) {
      expect(
        hashTypedData({ domain, types: EIP712_TYPES, primaryType: "ExecutionResult", message: v.message }),
      ).toBe(v.digest);
    }
    for (const v of committed.eip712.batchRoot) {
      const message = { ...v.message, batchId: BigInt(v.message.batchId) };
      expect(hashTypedData({ domain, types: EIP712_TYPES, primaryType: "BatchRoot", message })).toBe(
        v.digest,
      );
    }
    expect(committed.eip712.enclaveRegistration.length).toBeGreaterThan(0);
    for (const v of committed.eip712.enclaveRegistration) {
      const message = { ...v.message, expiresAt: BigInt(v.message.expiresAt) };
      expect(
        hashTypedData({ domain, types: EIP712_TYPES, primaryType: "EnclaveRegistration", message }),
      ).toBe(v.digest);
    }
  });

  it("behavior: tensor encodings decode and re-encode to the same bytes", () => {
    for (const v of committed.tensors) {
      const bytes = hexToBytes(v.encoding as Hex);
      expect(encodeTensors(decodeTensors(bytes))).toEqual(bytes);
      expect(encodeTensors(tensorsFromVector(v.tensors as never))).toEqual(bytes);
    }
  });

  it("behavior: merkle proofs, signatures and wire messages check", async () => {
    for (const m of committed.merkle) {
      m.values.forEach((value, i) => {
        const [requestId, modelId, inputHash, outputHash, executor] = value as [Hex, Hex, Hex, Hex, Hex];
        const fields = { requestId, modelId, inputHash, outputHash, executor };
        expect(ResultBatchTree.verify(m.root as Hex, fields, m.proofs[i] as Hex[])).toBe(true);
      });
    }
    for (const s of committed.signatures) {
      const { privateKeyToAddress } = await import("viem/accounts");
      expect(recoverDigestSigner(s.digest as Hex, s.signature as Hex)).toBe(
        privateKeyToAddress(s.privateKey as Hex),
      );
    }
    expect(decodeResultMessage(hexToBytes(committed.wire.result as Hex)).requestId).toBe(
      committed.resultHash[0]!.requestId,
    );
    expect(decodeBatchSignatureMessage(hexToBytes(committed.wire.batchSignature as Hex)).count).toBe(1);
    const reg = decodeEnclaveRegistrationSignatureMessage(
      hexToBytes(committed.wire.enclaveRegistrationSignature as Hex),
    );
    expect(reg.enclave.toLowerCase()).toBe(committed.eip712.enclaveRegistration[0]!.message.enclave);
    expect(recoverDigestSigner(committed.eip712.enclaveRegistration[0]!.digest as Hex, reg.signature)).toBe(
      reg.verifier,
    );
  });

  it("behavior: modelId of a file is streamed sha256", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opg-vectors-"));
    const file = join(dir, "model.onnx");
    writeFileSync(file, hexToBytes(committed.modelId[0]!.bytes as Hex));
    expect(await modelIdFromFile(file)).toBe(committed.modelId[0]!.modelId);
  });
});
