import {
  encodeTensors,
  inferenceRequestDigest,
  type OpgDomain,
  ProofMode,
  resultHash,
  signExecutionResult,
  type TensorMap,
  tensorsToJson,
} from "@opg/protocol";
import { bytesToHex, type Hex, keccak256 } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { checkExecutorAnswer, checkVerifierAnswer, parseVerifierAnswer } from "../src/index.js";

const domain: OpgDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const executorKey = generatePrivateKey();
const executor = privateKeyToAddress(executorKey);
const modelId: Hex = `0x${"11".repeat(32)}`;
const inputHash: Hex = `0x${"22".repeat(32)}`;
const requestId = inferenceRequestDigest(domain, {
  requester: privateKeyToAddress(generatePrivateKey()),
  modelId,
  inputHash,
  mode: ProofMode.NONE,
  nonce: 1n,
  deadline: 1_900_000_000n,
});
const outputs: TensorMap = { C: { dtype: "float32", dims: [1, 3], data: new Float32Array([2, 3, 4]) } };
const outputBytes = bytesToHex(encodeTensors(outputs));
const outputHash = keccak256(outputBytes);
const fields = { requestId, modelId, inputHash, outputHash, executor };

/** An executor answer as opg-exec writes it, signed with `key`. */
function executorAnswer(overrides: Record<string, unknown> = {}, key = executorKey) {
  return {
    requestId,
    modelId,
    inputHash,
    outputHash,
    resultHash: resultHash(fields),
    executor,
    mode: "NONE",
    signature: signExecutionResult(key, domain, { ...fields, mode: ProofMode.NONE }),
    proof: { mode: "NONE", bytes: 0, status: "none" },
    outputs: tensorsToJson(outputs, "base64"),
    fresh: true,
    ...overrides,
  };
}

const expected = { requestId, modelId, inputHash, mode: ProofMode.NONE };
const check = (body: unknown) => () => checkExecutorAnswer(domain, expected, body, "http://exec");

describe("checkExecutorAnswer", () => {
  it("default: an honest answer passes with typed outputs", () => {
    const checked = checkExecutorAnswer(domain, expected, executorAnswer(), "http://exec");
    expect(checked).toMatchObject({ ...fields, resultHash: resultHash(fields), mode: ProofMode.NONE });
    expect(Array.from(checked.outputs["C"]!.data as Float32Array)).toEqual([2, 3, 4]);
    // The JSON array form is accepted too.
    expect(() => check(executorAnswer({ outputs: tensorsToJson(outputs, "array") }))()).not.toThrow();
  });

  it("error: outputs that do not hash to the signed outputHash are HASH_MISMATCH", () => {
    const forged = tensorsToJson({
      C: { dtype: "float32", dims: [1, 3], data: new Float32Array([9, 9, 9]) },
    });
    expect(check(executorAnswer({ outputs: forged }))).toThrow(
      expect.objectContaining({ code: "HASH_MISMATCH" }),
    );
    expect(check(executorAnswer({ resultHash: `0x${"33".repeat(32)}` }))).toThrow(
      expect.objectContaining({ code: "HASH_MISMATCH" }),
    );
  });

  it("error: a signature from another key, or over other fields, is BAD_SIGNATURE", () => {
    expect(check(executorAnswer({}, generatePrivateKey()))).toThrow(
      expect.objectContaining({ code: "BAD_SIGNATURE" }),
    );
    const otherOutputs = {
      C: { dtype: "float32" as const, dims: [1, 3], data: new Float32Array([1, 1, 1]) },
    };
    const otherHash = keccak256(encodeTensors(otherOutputs));
    // Consistent outputs and hashes, but the signature is over the original outputHash.
    expect(
      check(
        executorAnswer({
          outputs: tensorsToJson(otherOutputs),
          outputHash: otherHash,
          resultHash: resultHash({ ...fields, outputHash: otherHash }),
        }),
      ),
    ).toThrow(expect.objectContaining({ code: "BAD_SIGNATURE" }));
    // High-s (malleable) and garbage signatures.
    expect(check(executorAnswer({ signature: `0x${"ff".repeat(64)}1b` }))).toThrow(
      expect.objectContaining({ code: "BAD_SIGNATURE" }),
    );
  });

  it("error: an answer for another request, model, input or mode is REQUEST_MISMATCH", () => {
    for (const overrides of [
      { requestId: `0x${"44".repeat(32)}` },
      { modelId: `0x${"55".repeat(32)}` },
      { inputHash: `0x${"66".repeat(32)}` },
      { mode: "ZK" },
    ]) {
      expect(check(executorAnswer(overrides)), JSON.stringify(overrides)).toThrow(
        expect.objectContaining({ code: "REQUEST_MISMATCH" }),
      );
    }
  });

  it("default: a ZK answer's settlement data (input, output, proof for settleWithProof) is passed on", () => {
    const settlement = { input: "0x0102", output: outputBytes, zkProof: `0x${"ab".repeat(256)}` };
    const checked = checkExecutorAnswer(
      domain,
      expected,
      executorAnswer({ proof: { mode: "NONE", bytes: 0, status: "none", settlement } }),
      "http://exec",
    );
    expect(checked.proof.settlement).toEqual(settlement);
    expect(
      checkExecutorAnswer(domain, expected, executorAnswer(), "http://exec").proof.settlement,
    ).toBeUndefined();
  });

  it("error: malformed answers are BAD_RESPONSE", () => {
    for (const body of [
      null,
      "ok",
      executorAnswer({ proof: { settlement: { input: "0x1", output: "0x", zkProof: "0x" } } }),
      executorAnswer({ signature: "0x12" }),
      executorAnswer({ executor: "nope" }),
      executorAnswer({ outputs: { C: { dtype: "float32", dims: [2], data: [1] } } }),
      executorAnswer({ mode: "FAST" }),
    ]) {
      expect(check(body)).toThrow(expect.objectContaining({ code: "BAD_RESPONSE" }));
    }
  });
});

/** A verifier answer as opg-verify writes it. */
function verifierAnswer(overrides: Record<string, unknown> = {}) {
  return {
    requestId,
    status: "settled",
    modelId,
    inputHash,
    outputHash,
    executor,
    mode: "NONE",
    resultHash: resultHash(fields),
    outputs: outputBytes,
    resultProof: "0x",
    batchId: "3",
    root: `0x${"77".repeat(32)}`,
    proof: [`0x${"88".repeat(32)}`],
    settlementTx: `0x${"99".repeat(32)}`,
    ...overrides,
  };
}

const parseCheck = (body: unknown, status = 200, exp: Record<string, Hex | undefined> = {}) =>
  checkVerifierAnswer(parseVerifierAnswer(status, body, requestId, "http://verifier"), { requestId, ...exp });

describe("parseVerifierAnswer + checkVerifierAnswer", () => {
  it("default: settled, verified, pending and rejected answers", () => {
    expect(parseCheck(verifierAnswer())).toMatchObject({
      status: "settled",
      batchId: 3n,
      root: `0x${"77".repeat(32)}`,
      proof: [`0x${"88".repeat(32)}`],
      outputBytes,
      outputHash,
      mode: ProofMode.NONE,
    });
    const verified = parseCheck(verifierAnswer({ status: "verified", batchId: undefined, root: undefined }));
    expect(verified).toMatchObject({ status: "verified", batchId: undefined });
    // Settled, but this verifier lacks members of the batch (proof null): as good as verified here.
    expect(parseCheck(verifierAnswer({ proof: null }))).toMatchObject({
      status: "verified",
      proof: undefined,
    });
    // No server sends `merkleProof`: it is not read as the Merkle proof.
    expect(
      parseCheck(verifierAnswer({ proof: undefined, merkleProof: [`0x${"88".repeat(32)}`] })),
    ).toMatchObject({ status: "verified", proof: undefined });
    expect(parseCheck({ requestId, status: "pending" }, 404)).toEqual({ status: "pending", requestId });
    expect(
      parseCheck({ requestId, status: "rejected", reason: { code: "BAD_PROOF", message: "proof invalid" } }),
    ).toMatchObject({ status: "rejected", reason: { code: "BAD_PROOF" } });
  });

  it("error: outputs that do not hash to the claimed outputHash are HASH_MISMATCH", () => {
    const forged = bytesToHex(
      encodeTensors({ C: { dtype: "float32", dims: [1], data: new Float32Array([1]) } }),
    );
    expect(() => parseCheck(verifierAnswer({ outputs: forged }))).toThrow(
      expect.objectContaining({ code: "HASH_MISMATCH" }),
    );
    expect(() => parseCheck(verifierAnswer({ resultHash: `0x${"00".repeat(32)}` }))).toThrow(
      expect.objectContaining({ code: "HASH_MISMATCH" }),
    );
  });

  it("error: answers about another request, model or input are REQUEST_MISMATCH", () => {
    expect(() => parseCheck(verifierAnswer({ requestId: `0x${"12".repeat(32)}` }))).toThrow(
      expect.objectContaining({ code: "REQUEST_MISMATCH" }),
    );
    expect(() => parseCheck(verifierAnswer(), 200, { modelId: `0x${"13".repeat(32)}` })).toThrow(
      expect.objectContaining({ code: "REQUEST_MISMATCH" }),
    );
    expect(() => parseCheck(verifierAnswer(), 200, { inputHash: `0x${"14".repeat(32)}` })).toThrow(
      expect.objectContaining({ code: "REQUEST_MISMATCH" }),
    );
  });

  it("error: malformed answers are BAD_RESPONSE", () => {
    for (const body of [
      {},
      verifierAnswer({ status: "done" }),
      verifierAnswer({ outputs: "0x1" }),
      verifierAnswer({ outputHash: undefined }),
      verifierAnswer({ batchId: "-1" }),
      verifierAnswer({ proof: ["0x00"] }),
      // One representation of each field: the mode by name, the Merkle proof as `proof`, an array.
      verifierAnswer({ mode: 0 }),
      verifierAnswer({ proof: "0x1234" }),
      // Hashes match but the bytes are not a canonical tensor encoding.
      verifierAnswer({
        outputs: "0x02",
        outputHash: keccak256("0x02"),
        resultHash: resultHash({ ...fields, outputHash: keccak256("0x02") }),
      }),
    ]) {
      expect(() => parseCheck(body), JSON.stringify(body).slice(0, 80)).toThrow(
        expect.objectContaining({ code: "BAD_RESPONSE" }),
      );
    }
    // A result status with a non-200 HTTP status is inconsistent.
    expect(() => parseCheck(verifierAnswer(), 500)).toThrow(
      expect.objectContaining({ code: "BAD_RESPONSE" }),
    );
  });
});
