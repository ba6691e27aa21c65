import { inferenceHubAbi, modeMask } from "@opg/contracts";
import {
  encodeBatchSignatureMessage,
  encodeResultMessage,
  hashEncodedTensors,
  ProofMode,
  signBatchRoot,
  signExecutionResult,
  WIRE_LIMITS,
} from "@opg/protocol";
import { deployLocalNetwork, devPrivateKey, HardhatNode, type LocalNetwork } from "@opg/testkit";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ResultRejected } from "../src/pipeline/ResultValidator.js";
import type { VerifierCore } from "../src/VerifierCore.js";
import { localVerifiers } from "./helpers/localVerifiers.js";
import { signedResult } from "./helpers/results.js";

const MODEL = keccak256(toHex("opg/test/validation-model"));
const TEE_ONLY = keccak256(toHex("opg/test/tee-only-model"));

async function rejection(core: VerifierCore, bytes: Uint8Array): Promise<ResultRejected> {
  try {
    await core.intake.validate(bytes);
  } catch (e) {
    if (e instanceof ResultRejected) return e;
    throw e;
  }
  throw new Error("expected the result to be refused");
}

describe("opg-verify validation pipeline on a real chain: every bad message refused with its code", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let cores: VerifierCore[];

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
    cores = localVerifiers(net, { maxBatchSize: 64, maxBatchAgeMs: 3_600_000 }).cores;
  }, 120_000); // a chain and a deployment: slow on a loaded machine

  afterAll(async () => {
    for (const c of cores ?? []) await c.stop();
    chain?.stop();
  });

  const base = () => ({
    domain: cores[0]!.domain,
    requesterKey: net.requesterKeys[0]!,
    executorKey: net.executorKeys[0]!,
    modelId: MODEL,
  });

  it("default: a good result passes every step", async () => {
    const r = signedResult({ ...base(), nonce: 1n });
    const ok = await cores[0]!.intake.validate(r.bytes);
    expect(ok.message.requestId).toBe(r.message.requestId);
  });

  it("behavior: once its chain reads are cached, a result's whole pipeline runs within the call (no promise between steps)", async () => {
    const core = cores[1]!; // its registry cache still cold
    const equivocationChecks = vi.spyOn(core.store, "outputHashOfExecutor");
    try {
      // The first result: the executor and the model are read from the chain, the steps await them.
      const first = core.intake.validate(signedResult({ ...base(), nonce: 20n }).bytes);
      expect(equivocationChecks).toHaveBeenCalledTimes(0);
      await first;
      expect(equivocationChecks).toHaveBeenCalledTimes(1);
      // The next: every read is a cache hit, and the steps up to the last ran before validate returned.
      const second = core.intake.validate(signedResult({ ...base(), nonce: 21n }).bytes);
      expect(equivocationChecks).toHaveBeenCalledTimes(2);
      expect((await second).message.executor).toBe(privateKeyToAddress(net.executorKeys[0]!));
    } finally {
      equivocationChecks.mockRestore();
    }
  });

  it("error: malformed, oversized and truncated bytes are REJECT MALFORMED", async () => {
    const good = signedResult({ ...base(), nonce: 2n }).bytes;
    for (const bytes of [
      new Uint8Array([1, 2, 3]),
      good.subarray(0, good.length - 5),
      new Uint8Array(WIRE_LIMITS.resultMessageBytes + 1),
    ]) {
      const e = await rejection(cores[0]!, bytes);
      expect([e.code, e.action, e.step]).toEqual(["MALFORMED", "REJECT", "decode"]);
    }
  });

  it("error: a forged executor signature is REJECT BAD_SIGNATURE", async () => {
    const r = signedResult({ ...base(), nonce: 3n });
    const forged = encodeResultMessage({
      ...r.message,
      signature: signedResult({ ...base(), nonce: 4n }).message.signature,
    });
    const e = await rejection(cores[0]!, forged);
    expect([e.code, e.action]).toEqual(["BAD_SIGNATURE", "REJECT"]);
  });

  it("error: outputs that do not hash to outputHash are REJECT OUTPUT_HASH_MISMATCH", async () => {
    const r = signedResult({ ...base(), nonce: 5n });
    const e = await rejection(
      cores[0]!,
      encodeResultMessage({ ...r.message, outputs: signedResult({ ...base(), nonce: 6n }).message.outputs }),
    );
    expect(e.code).toBe("OUTPUT_HASH_MISMATCH");
  });

  it("error: a request id the requester never signed is REJECT REQUEST_ID_MISMATCH", async () => {
    const r = signedResult({ ...base(), nonce: 7n });
    if (r.message.origin.type !== "direct") throw new Error("direct expected");
    const e = await rejection(
      cores[0]!,
      encodeResultMessage({ ...r.message, origin: { ...r.message.origin, nonce: 8n } }),
    );
    expect(e.code).toBe("REQUEST_ID_MISMATCH");
  });

  it("error: an unregistered executor is REJECT UNREGISTERED_EXECUTOR", async () => {
    const e = await rejection(
      cores[0]!,
      signedResult({ ...base(), executorKey: devPrivateKey(18), nonce: 9n }).bytes,
    );
    expect([e.code, e.action]).toEqual(["UNREGISTERED_EXECUTOR", "REJECT"]);
  });

  it("error: an unknown model or a mode the model does not allow is REJECT", async () => {
    const unknown = await rejection(
      cores[0]!,
      signedResult({ ...base(), modelId: keccak256(toHex("nope")), nonce: 10n }).bytes,
    );
    expect(unknown.code).toBe("UNKNOWN_MODEL");
    const mode = await rejection(cores[0]!, signedResult({ ...base(), modelId: TEE_ONLY, nonce: 11n }).bytes);
    expect(mode.code).toBe("MODE_NOT_ALLOWED");
  });

  it("error: a replayed result is IGNORE DUPLICATE; a NONE result carrying proof bytes is REJECT BAD_PROOF", async () => {
    const r = signedResult({ ...base(), nonce: 12n });
    cores[0]!.intake.accept(await cores[0]!.intake.validate(r.bytes));
    const again = await rejection(cores[0]!, r.bytes);
    expect([again.code, again.action]).toEqual(["DUPLICATE", "IGNORE"]);
    const withProof = signedResult({ ...base(), nonce: 13n });
    const e = await rejection(
      cores[0]!,
      encodeResultMessage({ ...withProof.message, proof: new Uint8Array([1]) }),
    );
    expect([e.code, e.action]).toEqual(["BAD_PROOF", "REJECT"]);
  });

  it("error: outputs that hash right but do not decode as tensors are REJECT BAD_OUTPUTS", async () => {
    const r = signedResult({ ...base(), nonce: 14n });
    const outputs = new Uint8Array([0xff, 0x01, 0x02]);
    const signed = {
      requestId: r.message.requestId,
      modelId: r.message.modelId,
      inputHash: r.message.inputHash,
      outputHash: hashEncodedTensors(outputs),
      mode: r.message.mode,
    };
    const e = await rejection(
      cores[0]!,
      encodeResultMessage({
        ...r.message,
        ...signed,
        outputs,
        signature: signExecutionResult(net.executorKeys[0]!, cores[0]!.domain, signed),
      }),
    );
    expect([e.code, e.action, e.step]).toEqual(["BAD_OUTPUTS", "REJECT", "outputs"]);
  });

  it("error: a direct request past its deadline is IGNORE REQUEST_EXPIRED (blameless)", async () => {
    const e = await rejection(cores[0]!, signedResult({ ...base(), nonce: 15n, deadline: 1_000n }).bytes);
    expect([e.code, e.action]).toEqual(["REQUEST_EXPIRED", "IGNORE"]);
  });

  it("error: a proof mode this verifier cannot check is IGNORE NO_VERIFIER_FOR_MODE (blameless)", async () => {
    const e = await rejection(
      cores[0]!,
      signedResult({ ...base(), modelId: TEE_ONLY, mode: ProofMode.TEE, nonce: 16n }).bytes,
    );
    expect([e.code, e.action, e.step]).toEqual(["NO_VERIFIER_FOR_MODE", "IGNORE", "proof"]);
  });

  it("error: a verifier that signs two roots for one batch id is REJECTed and slashed on chain", async () => {
    const set = await cores[0]!.registry.verifierConfig();
    const key = net.verifierKeys[2]!;
    const header = (root: Hex) => ({ configDigest: set.configDigest, batchId: 99n, root, count: 1 });
    const message = (root: Hex) =>
      encodeBatchSignatureMessage({
        ...header(root),
        verifier: privateKeyToAddress(key),
        signature: signBatchRoot(key, cores[0]!.domain, header(root)),
      });
    const first = await cores[0]!.batchGossip.validate(message(keccak256(toHex("root-a"))));
    cores[0]!.onBatchMessage(first);
    await expect(cores[0]!.batchGossip.validate(message(keccak256(toHex("root-b"))))).rejects.toMatchObject({
      code: "VERIFIER_EQUIVOCATION",
      action: "REJECT",
    });
    cores[0]!.challenger.start();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const logs = await net.publicClient.getContractEvents({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        eventName: "VerifierEquivocationProven",
        fromBlock: net.deployment.startBlock,
      });
      if (logs.length === 1) {
        expect(logs[0]!.args.signer).toBe(privateKeyToAddress(key));
        break;
      }
      if (Date.now() > deadline) throw new Error("no VerifierEquivocationProven event");
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
