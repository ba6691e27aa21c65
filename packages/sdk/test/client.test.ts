/**
 * The client against a real in-process chain with the opg contracts, and HTTP doubles for the executor
 * and the verifier that answer honestly or lie: every lie must end in `verified: false` or a typed error.
 */
import { listingIdOf, mockConsumerAbi, mockConsumerBytecode } from "@opg/contracts";
import {
  encodeTensors,
  hashTensors,
  inferenceRequestDigest,
  inferRequestBodySchema,
  ProofMode,
  ResultBatchTree,
  type ResultFields,
  resultHash,
  signExecutionResult,
  type TensorMap,
  tensorsFromJson,
  tensorsToJson,
} from "@opg/protocol";
import { createWalletClient, getAddress, type Hex, http, keccak256, toHex, zeroHash } from "viem";
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpgClient, isOpgSdkError, type OpgClient, OpgSdkError } from "../src/index.js";
import { FakeService, MODEL_ID, outputsOf, PRICE, startTestChain } from "./helpers/fakeServices.js";

type TestChain = Awaited<ReturnType<typeof startTestChain>>;

const inputs: TensorMap = {
  A: { dtype: "float32", dims: [1, 3], data: new Float32Array([0.5, 3, 1]) },
  B: { dtype: "float32", dims: [1, 3], data: new Float32Array([1, 1, 1]) },
};
const EXPECTED_C = [1.5, 4, 2];

let t: TestChain;
const executor = new FakeService();
const verifier = new FakeService();
/** How the fake executor behaves. */
let execMode: "honest" | "forged-outputs" | "unregistered-key" | "wrong-executor" | "refuse" = "honest";
/** What the fake verifier answers, by requestId. */
const verifierAnswers = new Map<string, () => { status: number; body: unknown }>();

beforeAll(async () => {
  t = await startTestChain();
  await executor.start();
  await verifier.start();
  executor.handler = (req, body) => (req.method === "POST" ? fakeExecutor(body) : undefined);
  verifier.handler = (req) => {
    const id = /^\/v1\/results\/(0x[0-9a-f]{64})$/.exec(req.url ?? "")?.[1];
    if (!id) return undefined;
    return verifierAnswers.get(id)?.() ?? { status: 404, body: { requestId: id, status: "pending" } };
  };
}, 120_000);

afterAll(async () => {
  await executor.stop();
  await verifier.stop();
  await t?.stop();
});

beforeEach(() => {
  execMode = "honest";
  verifierAnswers.clear();
});

/** opg-exec's `POST /v1/infer`, computing C = A + B, with the behaviours above. */
function fakeExecutor(body: unknown): { status: number; body: unknown } {
  // The SDK sends the shared body shape (mode by name), which the real executor parses alike.
  const b = inferRequestBodySchema.parse(body);
  if (execMode === "refuse") {
    return {
      status: 400,
      body: { error: { code: "MODEL_NOT_SERVED", message: "model not served here", retryable: false } },
    };
  }
  const ins = tensorsFromJson(b.inputs);
  expect(b.request.mode).toBe(ProofMode.NONE);
  const request = { ...b.request, inputHash: hashTensors(ins) };
  const requestId = inferenceRequestDigest(t.domain, request);
  const a = ins["A"]!.data as Float32Array;
  const c = Array.from(a, (v, i) => v + (ins["B"]!.data as Float32Array)[i]!);
  const outputs = outputsOf(c);
  const key = execMode === "unregistered-key" ? generatePrivateKey() : t.net.executorKeys[0]!;
  const fields = {
    requestId,
    modelId: request.modelId,
    inputHash: request.inputHash,
    outputHash: outputs.hash,
    executor:
      execMode === "wrong-executor" ? privateKeyToAddress(generatePrivateKey()) : privateKeyToAddress(key),
  };
  const sent = execMode === "forged-outputs" ? outputsOf([9, 9, 9]).tensors : outputs.tensors;
  return {
    status: 200,
    body: {
      ...fields,
      resultHash: resultHash(fields),
      mode: "NONE",
      signature: signExecutionResult(key, t.domain, { ...fields, mode: ProofMode.NONE }),
      proof: { mode: "NONE", bytes: 0, status: "none" },
      outputs: tensorsToJson(sent, "base64"),
      fresh: true,
    },
  };
}

function client(overrides: Partial<Parameters<typeof createOpgClient>[0]> = {}): OpgClient {
  return createOpgClient({
    rpcUrl: t.chain.rpcUrl,
    hub: t.net.deployment.inferenceHub,
    execUrl: executor.url,
    verifyUrl: verifier.url,
    account: t.net.requesterKeys[0]!,
    publisher: t.net.deployment.deployer,
    pollIntervalMs: 20,
    ...overrides,
  });
}

/** What opg-verify answers for a result (settled when `batch` is given). */
function verifierBody(
  fields: ResultFields,
  outputs: Hex,
  batch?: { batchId: bigint; root: Hex; proof: Hex[] },
  status = batch ? "settled" : "verified",
) {
  return {
    status,
    ...fields,
    mode: "NONE",
    resultHash: resultHash(fields),
    outputs,
    resultProof: "0x",
    ...(batch
      ? {
          batchId: batch.batchId.toString(),
          root: batch.root,
          proof: batch.proof,
          settlementTx: zeroHash.replace(/0$/, "1"),
        }
      : {}),
  };
}

/** A direct request through the fake executor, settled on chain in a batch with another result. */
async function settledDirect(opg: OpgClient) {
  const direct = await opg.requestDirect({ modelId: MODEL_ID, inputs });
  const fields: ResultFields = {
    requestId: direct.requestId,
    modelId: direct.modelId,
    inputHash: direct.inputHash,
    outputHash: direct.outputHash,
    executor: direct.executor,
  };
  const other = { ...fields, requestId: keccak256(toHex(`other-${direct.requestId}`)) };
  const { tree, batchId } = await t.settle([fields, other]);
  const outputs = bytesOf(direct.outputs);
  const honest = verifierBody(fields, outputs, {
    batchId,
    root: tree.root,
    proof: tree.proof(fields.requestId),
  });
  return { direct, fields, tree, batchId, outputs, honest };
}

const bytesOf = (tensors: TensorMap): Hex => `0x${Buffer.from(encodeTensors(tensors)).toString("hex")}`;

describe("OpgClient.requestDirect", () => {
  it("default: signs, posts and returns the executor's checked answer as typed tensors", async () => {
    const opg = client();
    const result = await opg.requestDirect({ modelId: MODEL_ID, inputs, nonce: 42n });
    expect(result.requestId).toBe(inferenceRequestDigest(t.domain, result.request));
    expect(result.request).toMatchObject({
      requester: privateKeyToAddress(t.net.requesterKeys[0]!),
      modelId: MODEL_ID,
      inputHash: hashTensors(inputs),
      mode: ProofMode.NONE,
      nonce: 42n,
    });
    expect(result.executor).toBe(privateKeyToAddress(t.net.executorKeys[0]!));
    expect(result.outputs["C"]).toEqual({
      dtype: "float32",
      dims: [1, 3],
      data: new Float32Array(EXPECTED_C),
    });
    expect(result.outputHash).toBe(hashTensors(result.outputs));
    expect(result.proof).toEqual({ mode: ProofMode.NONE, bytes: 0, status: "none" });
  });

  it("error: lying or unknown executors are caught (HASH_MISMATCH, BAD_SIGNATURE, UNKNOWN_EXECUTOR)", async () => {
    const opg = client();
    for (const [mode, code] of [
      ["forged-outputs", "HASH_MISMATCH"],
      ["wrong-executor", "BAD_SIGNATURE"],
      ["unregistered-key", "UNKNOWN_EXECUTOR"],
      ["refuse", "EXECUTOR_ERROR"],
    ] as const) {
      execMode = mode;
      const error = await opg.requestDirect({ modelId: MODEL_ID, inputs }).catch((e: unknown) => e);
      expect(error, mode).toBeInstanceOf(OpgSdkError);
      expect((error as OpgSdkError).code, mode).toBe(code);
    }
    execMode = "unregistered-key";
    await expect(
      opg.requestDirect({ modelId: MODEL_ID, inputs, checkExecutor: false }),
    ).resolves.toBeDefined();
  });

  it("error: an unreachable executor is EXECUTOR_UNREACHABLE; missing options are MISSING_CONFIG", async () => {
    const down = client({ execUrl: "http://127.0.0.1:1" });
    await expect(down.requestDirect({ modelId: MODEL_ID, inputs })).rejects.toMatchObject({
      code: "EXECUTOR_UNREACHABLE",
      retryable: true,
    });
    await expect(
      client({ execUrl: undefined }).requestDirect({ modelId: MODEL_ID, inputs }),
    ).rejects.toMatchObject({
      code: "MISSING_CONFIG",
    });
    await expect(
      client({ account: undefined }).requestDirect({ modelId: MODEL_ID, inputs }),
    ).rejects.toMatchObject({
      code: "MISSING_CONFIG",
    });
    await expect(client().requestDirect({ modelId: "0x12", inputs })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(() => client({ rpcUrl: "ws://x", hub: "0x1" as Hex })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("OpgClient.waitForResult / waitForSettlement", () => {
  it("default: polls until verified, then until settled", async () => {
    const opg = client();
    const { direct, fields, outputs, honest, batchId } = await settledDirect(opg);
    let polls = 0;
    verifierAnswers.set(direct.requestId, () => {
      polls++;
      if (polls < 3) return { status: 404, body: { requestId: direct.requestId, status: "pending" } };
      if (polls < 5) return { status: 200, body: verifierBody(fields, outputs) };
      return { status: 200, body: honest };
    });
    const verified = await opg.waitForResult(direct.requestId, { timeoutMs: 10_000 });
    expect(verified.status).toBe("verified");
    expect(verified.outputs["C"]!.data).toEqual(new Float32Array(EXPECTED_C));
    const settled = await opg.waitForSettlement(direct.requestId, { timeoutMs: 10_000 });
    expect(settled).toMatchObject({ status: "settled", batchId });
    expect(settled.proof).toEqual(honest.proof);
    expect(polls).toBeGreaterThanOrEqual(5);
  });

  it("behavior: a rejection is not final: a result settled later is returned", async () => {
    const opg = client();
    const { direct, honest } = await settledDirect(opg);
    let polls = 0;
    verifierAnswers.set(direct.requestId, () => {
      polls++;
      if (polls < 3) {
        const reason = { code: "BAD_PROOF", message: "junk sent ahead under this request id" };
        return { status: 200, body: { requestId: direct.requestId, status: "rejected", reason } };
      }
      return { status: 200, body: honest };
    });
    await expect(opg.waitForSettlement(direct.requestId, { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "settled",
    });
    expect(polls).toBeGreaterThanOrEqual(3);
  });

  it("error: rejected until the deadline → REJECTED; never settled → TIMEOUT; abort → ABORTED", async () => {
    const opg = client();
    const id = keccak256(toHex("rejected-one"));
    verifierAnswers.set(id, () => ({
      status: 200,
      body: {
        requestId: id,
        status: "rejected",
        reason: { code: "BAD_SIGNATURE", message: "bad executor signature" },
      },
    }));
    await expect(opg.waitForResult(id, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "REJECTED",
      meta: { reason: "BAD_SIGNATURE" },
    });
    const pending = keccak256(toHex("pending-one"));
    await expect(opg.waitForSettlement(pending, { timeoutMs: 200 })).rejects.toMatchObject({
      code: "TIMEOUT",
      meta: { lastStatus: "pending" },
    });
    const controller = new AbortController();
    const waiting = opg.waitForSettlement(pending, { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("behavior: verifiers are asked in order; a dead one is skipped; none alive is VERIFIER_UNREACHABLE", async () => {
    const opg = client({ verifyUrl: ["http://127.0.0.1:1", verifier.url] });
    const { direct, honest } = await settledDirect(opg);
    verifierAnswers.set(direct.requestId, () => ({ status: 200, body: honest }));
    await expect(opg.waitForSettlement(direct.requestId, { timeoutMs: 5_000 })).resolves.toMatchObject({
      status: "settled",
    });
    const dead = client({ verifyUrl: "http://127.0.0.1:1" });
    await expect(dead.waitForResult(direct.requestId, { timeoutMs: 200 })).rejects.toMatchObject({
      code: "VERIFIER_UNREACHABLE",
    });
  });

  it("error: a verifier whose outputs do not match its outputHash is HASH_MISMATCH", async () => {
    const opg = client();
    const { direct, honest } = await settledDirect(opg);
    verifierAnswers.set(direct.requestId, () => ({
      status: 200,
      body: { ...honest, outputs: outputsOf([7, 7, 7]).hex },
    }));
    await expect(opg.waitForSettlement(direct.requestId, { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: "HASH_MISMATCH",
    });
  });
});

describe("OpgClient.verifyResult against the chain", () => {
  it("default: an honest verifier's result verifies against the on-chain root", async () => {
    const opg = client();
    const { direct, tree, batchId, honest } = await settledDirect(opg);
    verifierAnswers.set(direct.requestId, () => ({ status: 200, body: honest }));
    const v = await opg.verifyResult(direct.requestId);
    expect(v).toMatchObject({
      verified: true,
      failure: undefined,
      batchId,
      root: tree.root,
      claimedRoot: tree.root,
    });
    expect(v.outputs?.["C"]?.data).toEqual(new Float32Array(EXPECTED_C));
    expect(await t.contracts.hub.batchRoot(batchId)).toBe(tree.root);
  });

  it("behavior: every lie of a verifier yields verified: false with the reason", async () => {
    const opg = client();
    const { direct, fields, tree, batchId, outputs, honest } = await settledDirect(opg);
    // A fully consistent forgery: other outputs, their hash, resultHash, and a tree (root, proof) of its own.
    const forgedOut = outputsOf([100, 200, 300]);
    const forgedFields = { ...fields, outputHash: forgedOut.hash };
    const forgedTree = ResultBatchTree.of([
      forgedFields,
      { ...forgedFields, requestId: keccak256(toHex("x")) },
    ]);
    const otherExecutor = { ...fields, executor: privateKeyToAddress(generatePrivateKey()) };
    const proof = tree.proof(fields.requestId);
    const lies: [string, unknown, string][] = [
      ["claims another root", { ...honest, root: forgedTree.root }, "ROOT_MISMATCH"],
      [
        "serves forged outputs with their own tree",
        verifierBody(forgedFields, forgedOut.hex, {
          batchId,
          root: forgedTree.root,
          proof: forgedTree.proof(fields.requestId),
        }),
        "ROOT_MISMATCH",
      ],
      [
        "serves forged outputs under the real root and proof",
        verifierBody(forgedFields, forgedOut.hex, { batchId, root: tree.root, proof }),
        "PROOF_INVALID",
      ],
      [
        "tampers with the proof",
        { ...honest, proof: [keccak256(toHex("junk")), ...proof.slice(1)] },
        "PROOF_INVALID",
      ],
      ["drops the proof", { ...honest, proof: [] }, "PROOF_INVALID"],
      ["names a batch that is not on chain", { ...honest, batchId: "999" }, "BATCH_NOT_ON_CHAIN"],
      [
        "credits another executor",
        verifierBody(otherExecutor, outputs, { batchId, root: tree.root, proof }),
        "PROOF_INVALID",
      ],
      [
        "answers for another input (the client remembers its request)",
        verifierBody({ ...fields, inputHash: keccak256(toHex("other input")) }, outputs, {
          batchId,
          root: tree.root,
          proof,
        }),
        "REQUEST_MISMATCH",
      ],
    ];
    for (const [what, body, code] of lies) {
      verifierAnswers.set(direct.requestId, () => ({ status: 200, body }));
      const v = await opg.verifyResult(direct.requestId);
      expect(v.verified, what).toBe(false);
      expect(v.failure?.code, what).toBe(code);
      expect(v.root, what).toBe(v.batchId === batchId ? tree.root : zeroHash);
    }
    // Outputs that do not hash to the claimed outputHash (a careless lie).
    verifierAnswers.set(direct.requestId, () => ({
      status: 200,
      body: { ...honest, outputs: forgedOut.hex },
    }));
    const careless = await opg.verifyResult(direct.requestId);
    expect(careless).toMatchObject({ verified: false, failure: { code: "HASH_MISMATCH" } });
  });

  it("behavior: with a lying and an honest verifier, the honest one's answer verifies", async () => {
    const liar = await new FakeService().start();
    try {
      const opg = client({ verifyUrl: [liar.url, verifier.url] });
      const { direct, honest, tree } = await settledDirect(opg);
      liar.handler = () => ({ status: 200, body: { ...honest, root: keccak256(toHex("lie")) } });
      verifierAnswers.set(direct.requestId, () => ({ status: 200, body: honest }));
      const v = await opg.verifyResult(direct.requestId);
      expect(v).toMatchObject({ verified: true, root: tree.root });
      expect(v.verifier).toContain(verifier.url);
      // Only liars: the first failure is reported.
      const fooled = client({ verifyUrl: [liar.url, liar.url] });
      expect(await fooled.verifyResult(direct.requestId)).toMatchObject({
        verified: false,
        failure: { code: "ROOT_MISMATCH" },
      });
    } finally {
      await liar.stop();
    }
  });

  it("error: not settled yet is NOT_SETTLED; rejected is REJECTED", async () => {
    const opg = client();
    const id = keccak256(toHex("not-settled"));
    await expect(opg.verifyResult(id)).rejects.toMatchObject({ code: "NOT_SETTLED" });
    const { direct, fields, outputs } = await settledDirect(opg);
    verifierAnswers.set(direct.requestId, () => ({ status: 200, body: verifierBody(fields, outputs) }));
    await expect(opg.verifyResult(direct.requestId)).rejects.toMatchObject({ code: "NOT_SETTLED" });
    verifierAnswers.set(id, () => ({
      status: 200,
      body: { requestId: id, status: "rejected", reason: { code: "X", message: "x" } },
    }));
    await expect(opg.verifyResult(id)).rejects.toMatchObject({ code: "REJECTED" });
  });
});

describe("OpgClient.requestOnChain + deliver", () => {
  it("default: requests on chain, then delivers the settled result to the callback", async () => {
    const opg = client();
    const wallet = createWalletClient({
      account: privateKeyToAccount(t.net.requesterKeys[1]!),
      transport: http(t.chain.rpcUrl),
    });
    const hash = await wallet.deployContract({
      abi: mockConsumerAbi,
      bytecode: mockConsumerBytecode,
      args: [t.net.deployment.inferenceHub],
      chain: null,
    });
    const receipt = await t.net.publicClient.waitForTransactionReceipt({ hash });
    const consumer = getAddress(receipt.contractAddress!);

    const req = await opg.requestOnChain({
      modelId: MODEL_ID,
      inputs,
      callback: consumer,
      callbackGasLimit: 150_000,
    });
    expect(req.request).toMatchObject({
      requester: privateKeyToAddress(t.net.requesterKeys[0]!),
      modelId: MODEL_ID,
      listingId: listingIdOf(MODEL_ID, t.net.deployment.deployer),
      inputHash: hashTensors(inputs),
      callback: consumer,
      callbackGasLimit: 150_000,
      fee: PRICE,
    });
    // The SDK escrows the callback's gas at twice the chain's gas price.
    expect(req.request.callbackGasPrice).toBeGreaterThan(0n);
    expect(req.input).toBe(bytesOf(inputs));
    expect(await opg.requestStatus(req.requestId)).toBe("pending");
    expect((await opg.findRequest(req.requestId)).request).toEqual(req.request);

    const out = outputsOf(EXPECTED_C);
    const fields: ResultFields = {
      requestId: req.requestId,
      modelId: MODEL_ID,
      inputHash: req.inputHash,
      outputHash: out.hash,
      executor: privateKeyToAddress(t.net.executorKeys[0]!),
    };
    const { tree, batchId } = await t.settle([fields]);
    const honest = verifierBody(fields, out.hex, {
      batchId,
      root: tree.root,
      proof: tree.proof(req.requestId),
    });

    // A lying verifier makes deliver refuse before sending anything.
    verifierAnswers.set(req.requestId, () => ({ status: 200, body: { ...honest, root: keccak256("0x01") } }));
    await expect(opg.deliver(req.requestId)).rejects.toMatchObject({ code: "PROOF_INVALID" });
    expect(await opg.requestStatus(req.requestId)).toBe("pending");

    verifierAnswers.set(req.requestId, () => ({ status: 200, body: honest }));
    // Another client that did not make the request finds the record in the InferenceRequested event.
    const stranger = client({ account: t.net.requesterKeys[2]! });
    const delivery = await stranger.deliver(req.requestId);
    expect(delivery).toMatchObject({
      callbackSuccess: true,
      batchId,
      executor: fields.executor,
      outputHash: out.hash,
    });
    expect(delivery.outputs["C"]!.data).toEqual(new Float32Array(EXPECTED_C));
    expect(await opg.requestStatus(req.requestId)).toBe("delivered");
    expect(
      await t.net.publicClient.readContract({
        address: consumer,
        abi: mockConsumerAbi,
        functionName: "lastOutput",
      }),
    ).toBe(out.hex);

    // Delivering twice is the hub's AlreadyDelivered, as a CHAIN_ERROR.
    const again = await stranger.deliver(req.requestId).catch((e: unknown) => e);
    expect(isOpgSdkError(again, "CHAIN_ERROR")).toBe(true);
    expect((again as OpgSdkError).meta).toMatchObject({
      chainCode: "REVERTED",
      errorName: "AlreadyDelivered",
    });
    opg.close();
    stranger.close();
  });

  it("error: unknown listings, no pinned publisher, float64 ZK inputs are INVALID_ARGUMENT; unknown requests NOT_FOUND", async () => {
    const opg = client();
    const unknownModel = keccak256(toHex("no-such-model"));
    await expect(opg.requestOnChain({ modelId: unknownModel, inputs, fee: 0n })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/has no listing of model/),
    });
    await expect(
      opg.requestOnChain({ listingId: keccak256(toHex("no-such-listing")), inputs, fee: 0n }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/unknown or disabled/),
    });
    // A request by modelId names the publisher it trusts: anyone can list a file.
    await expect(
      client({ publisher: undefined }).requestOnChain({ modelId: MODEL_ID, inputs }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/publisher/) });
    // ZK proofs bind float32 inputs: float64 is refused before anything is sent.
    const f64 = { A: { dtype: "float64" as const, dims: [1], data: new Float64Array([1]) } };
    await expect(opg.requestOnChain({ modelId: MODEL_ID, inputs: f64, mode: "ZK" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/ZK requests take float32 or uint8 inputs/),
    });
    await expect(opg.findRequest(keccak256(toHex("nothing")))).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      opg.requestOnChain({
        modelId: MODEL_ID,
        inputs: { big: { dtype: "uint8", dims: [9000], data: new Uint8Array(9000) } },
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(
      client({ account: undefined }).requestOnChain({ modelId: MODEL_ID, inputs }),
    ).rejects.toMatchObject({
      code: "MISSING_CONFIG",
    });
    const wrongChain = client({ chainId: 1 });
    await expect(wrongChain.requestOnChain({ modelId: MODEL_ID, inputs })).rejects.toMatchObject({
      code: "CHAIN_ERROR",
      meta: { chainCode: "CHAIN_MISMATCH" },
    });
    opg.close();
  });
});
