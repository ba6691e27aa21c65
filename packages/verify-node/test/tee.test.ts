import {
  AttestationError,
  DevEnclave,
  DevRoot,
  type EnclaveKeyRecord,
  enclaveMeasurement,
  NitroAttestationVerifier,
  TeeProver,
} from "@opg/attestation";
import { createLogger } from "@opg/daemon";
import {
  decodeBatchTopicMessage,
  type EnclaveRegistration,
  encodeEnclaveRegistrationSignatureMessage,
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  hashTensors,
  type OpgDomain,
  ProofMode,
  type ResultMessage,
  resultHash,
  signEnclaveRegistration,
  signExecutionResult,
  signInferenceRequest,
  ValidationError,
} from "@opg/protocol";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegistryCache } from "../src/pipeline/RegistryCache.js";
import { ResultRejected } from "../src/pipeline/ResultValidator.js";
import { EnclaveRegistrar } from "../src/tee/EnclaveRegistrar.js";
import { TeeProofVerifier } from "../src/tee/TeeProofVerifier.js";
import { VerifierCore } from "../src/VerifierCore.js";
import { FakeChain } from "./helpers/fakeChain.js";

const logger = createLogger({ level: "silent" });
const key = (label: string): Hex => keccak256(toHex(`opg/tee-test/${label}`));
const domain: OpgDomain = {
  chainId: 31337,
  verifyingContract: privateKeyToAddress(key("hub")),
};
const VERIFIER_KEYS = [key("v0"), key("v1"), key("v2")];
const VERIFIERS = VERIFIER_KEYS.map((k) => privateKeyToAddress(k));
const EXECUTOR_KEY = key("executor");
const REQUESTER_KEY = key("requester");
const MODEL = keccak256(toHex("tee-model"));
const OTHER_MODEL = keccak256(toHex("model-of-another-image"));

let root: DevRoot;
let enclave: DevEnclave;
let rogue: DevEnclave;
let devVerifier: NitroAttestationVerifier;

beforeAll(async () => {
  root = await DevRoot.generate();
  enclave = await DevEnclave.create({ root, imageId: "opg-test:1" });
  rogue = await DevEnclave.create({ root, imageId: "opg-test:rogue" });
  devVerifier = new NitroAttestationVerifier({ extraRoots: [root.certificatePem] });
});

function newChain(): FakeChain {
  const chain = new FakeChain(domain, VERIFIERS, 1);
  chain.executors.add(privateKeyToAddress(EXECUTOR_KEY).toLowerCase());
  chain.models.set(MODEL.toLowerCase(), { modes: 0b101, measurements: [enclaveMeasurement(enclave.pcrs)] });
  chain.models.set(OTHER_MODEL.toLowerCase(), {
    modes: 0b100,
    measurements: [enclaveMeasurement(rogue.pcrs)],
  });
  return chain;
}

let nonce = 0n;

/** A direct TEE request and the executor's result for it, proved by `prover`. */
async function teeResult(
  prover: TeeProver,
  modelId: Hex = MODEL,
): Promise<{ bytes: Uint8Array; message: ResultMessage }> {
  const n = nonce++;
  const inputs = { x: { dtype: "float32" as const, dims: [1], data: new Float32Array([Number(n)]) } };
  const outputs = { y: { dtype: "float32" as const, dims: [1], data: new Float32Array([Number(n) * 2]) } };
  const request = {
    requester: privateKeyToAddress(REQUESTER_KEY),
    modelId,
    inputHash: hashTensors(inputs),
    mode: ProofMode.TEE,
    nonce: n,
    deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
  };
  const { requestId, signature: requesterSignature } = signInferenceRequest(REQUESTER_KEY, domain, request);
  const encoded = encodeTensors(outputs);
  const signed = {
    requestId,
    modelId,
    inputHash: request.inputHash,
    outputHash: hashEncodedTensors(encoded),
    mode: ProofMode.TEE,
  };
  const executor = privateKeyToAddress(EXECUTOR_KEY);
  const message: ResultMessage = {
    ...signed,
    executor,
    outputs: encoded,
    proof: await prover.prove(resultHash({ ...signed, executor })),
    signature: signExecutionResult(EXECUTOR_KEY, domain, signed),
    origin: { type: "direct", ...request, requesterSignature },
  };
  return { bytes: encodeResultMessage(message), message };
}

/** Three verifier cores (f = 1) on one fake chain, batch-topic gossip delivered in process. */
function network(chain: FakeChain) {
  const inflight: Promise<unknown>[] = [];
  const cores: VerifierCore[] = [];
  VERIFIER_KEYS.forEach((privateKey, i) => {
    const core: VerifierCore = new VerifierCore(
      { dbPath: ":memory:", batching: {}, registry: {}, intake: {}, validation: {}, tee: {} },
      {
        chain: chain.viewFor(VERIFIERS[i]!),
        signer: { address: VERIFIERS[i]!, privateKey },
        logger,
        publishBatch: async (bytes) => {
          for (const other of cores) {
            if (other !== core) inflight.push(other.batchGossip.validate(bytes).then(other.onBatchMessage));
          }
        },
        tee: { chain: chain.viewFor(VERIFIERS[i]!), attestationVerifier: devVerifier },
      },
    );
    cores.push(core);
  });
  const flush = async () => {
    while (inflight.length > 0) await Promise.all(inflight.splice(0));
  };
  const tickAll = async () => {
    for (const c of cores) await c.tee!.registrar!.tick();
    await flush();
  };
  return { cores, flush, tickAll };
}

describe("TEE verification in the verifier pipeline (dev enclave, measurements from the chain)", () => {
  const open: VerifierCore[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.store.close();
  });

  it("default: a TEE result verifies at every verifier and its enclave key is registered once, by the quorum", async () => {
    const chain = newChain();
    const { cores, tickAll } = network(chain);
    open.push(...cores);
    const prover = new TeeProver({ provider: enclave });
    const { bytes, message } = await teeResult(prover);
    for (const core of cores) core.intake.accept(await core.intake.validate(bytes));
    for (const core of cores) expect(core.store.resultsForRequest(message.requestId)).toHaveLength(1);

    await tickAll(); // each signs the (identical) registration and gossips it
    await tickAll(); // the designated submitter registers it
    expect(chain.submissions).toHaveLength(1);
    const r = chain.submissions[0]!.registration;
    const designated = VERIFIERS[Number(BigInt(prover.enclaveAddress) % 3n)]!;
    expect(chain.submissions[0]!.by).toBe(designated);
    expect(r).toMatchObject({
      enclave: prover.enclaveAddress,
      measurement: enclaveMeasurement(enclave.pcrs),
      configDigest: chain.set.configDigest,
    });
    const record = cores[0]!.tee!.verifier.tee.getEnclaveKey((await prover.attestation()).attestationId)!;
    expect(r.expiresAt).toBe(BigInt(Math.floor(record.expiresAt / 1000)));
    // Later results (id-only proofs) verify; nothing is registered twice.
    const next = await teeResult(prover);
    for (const core of cores) core.intake.accept(await core.intake.validate(next.bytes));
    await tickAll();
    await tickAll();
    expect(chain.submissions).toHaveLength(1);
  });

  it("error: a result from an enclave whose measurement the model does not allow is BAD_PROOF (cause PCR_MISMATCH), recorded for the API", async () => {
    const chain = newChain();
    const { cores, tickAll } = network(chain);
    open.push(...cores);
    const { bytes, message } = await teeResult(new TeeProver({ provider: rogue }), MODEL);
    const err = await cores[0]!.intake.validate(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultRejected);
    expect(err).toMatchObject({ step: "proof", code: "BAD_PROOF", action: "REJECT" });
    expect((err as ResultRejected).cause).toBeInstanceOf(AttestationError);
    expect((err as ResultRejected).cause).toMatchObject({ code: "PCR_MISMATCH" });
    expect(cores[0]!.store.rejectionsForRequest(message.requestId)).toMatchObject([
      { code: "BAD_PROOF", cause: "PCR_MISMATCH" },
    ]);
    // The honest enclave's key for a model allowing only the rogue image: refused the same way.
    const honestForOther = await teeResult(new TeeProver({ provider: enclave }), OTHER_MODEL);
    await expect(cores[0]!.intake.validate(honestForOther.bytes)).rejects.toMatchObject({
      code: "BAD_PROOF",
    });
    await tickAll();
    expect(chain.submissions).toHaveLength(0);
    expect(cores[0]!.tee!.registrar!.health()).toMatchObject({ enclaveKeys: 0 });
  });

  it("behavior: measurements unreadable (RPC down) defer the result as CHAIN_UNAVAILABLE; cached ones keep serving", async () => {
    const chain = newChain();
    const { cores } = network(chain);
    open.push(...cores);
    const prover = new TeeProver({ provider: enclave });
    chain.failReads = true;
    const first = await teeResult(prover);
    await expect(cores[0]!.intake.validate(first.bytes)).rejects.toMatchObject({
      code: "CHAIN_UNAVAILABLE",
      action: "IGNORE",
    });
    expect(cores[0]!.store.deferredResults(10)).toHaveLength(1);
    chain.failReads = false;
    await cores[0]!.intake.retryDeferred();
    expect(cores[0]!.store.resultsForRequest(first.message.requestId)).toHaveLength(1);
    // Cached: one read per model and TTL, and an outage after that is not noticed.
    const reads = chain.reads;
    chain.failReads = true;
    const second = await teeResult(prover);
    cores[0]!.intake.accept(await cores[0]!.intake.validate(second.bytes));
    expect(chain.reads).toBe(reads);
  });

  it("error: without the dev root configured, dev documents are untrusted (production default: AWS root only)", async () => {
    const chain = newChain();
    const registry = new RegistryCache(
      {},
      { chain: chain.viewFor(VERIFIERS[0]!), tee: chain.viewFor(VERIFIERS[0]!) },
    );
    const verifier = new TeeProofVerifier({}, { registry });
    const { message } = await teeResult(new TeeProver({ provider: enclave }));
    const err = await verifier.verify(message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationError);
    expect(err).toMatchObject({ code: "UNTRUSTED_ROOT", action: "REJECT" });
  });

  it("error: a model without measurements takes no TEE proofs (NO_POLICY)", async () => {
    const chain = newChain();
    chain.models.set(MODEL.toLowerCase(), { modes: 0b101, measurements: [] });
    const registry = new RegistryCache(
      {},
      { chain: chain.viewFor(VERIFIERS[0]!), tee: chain.viewFor(VERIFIERS[0]!) },
    );
    const verifier = new TeeProofVerifier({}, { registry, attestationVerifier: devVerifier });
    const { message } = await teeResult(new TeeProver({ provider: enclave }));
    await expect(verifier.verify(message)).rejects.toMatchObject({ code: "NO_POLICY" });
  });
});

describe("enclave registration signatures on the batch-signatures topic (kind 4)", () => {
  it("error: stale config and expired registrations are IGNOREd; outsiders and bad signatures REJECTed", async () => {
    const chain = newChain();
    const { cores } = network(chain);
    const gossip = cores[0]!.batchGossip;
    const registration: EnclaveRegistration = {
      enclave: privateKeyToAddress(key("enclave")),
      measurement: enclaveMeasurement(enclave.pcrs),
      expiresAt: BigInt(Math.floor(Date.now() / 1000) + 3600),
      configDigest: chain.set.configDigest,
    };
    const message = (r: EnclaveRegistration, signerKey: Hex, verifier = privateKeyToAddress(signerKey)) =>
      encodeEnclaveRegistrationSignatureMessage({
        ...r,
        verifier,
        signature: signEnclaveRegistration(signerKey, domain, r),
      });
    const ok = await gossip.validate(message(registration, VERIFIER_KEYS[1]!));
    expect(ok.kind).toBe("enclave");
    const expect_ = async (bytes: Uint8Array, code: string, action: "REJECT" | "IGNORE") => {
      const err = await gossip.validate(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code, action });
    };
    await expect_(
      message({ ...registration, configDigest: keccak256(toHex("old")) }, VERIFIER_KEYS[1]!),
      "STALE_CONFIG",
      "IGNORE",
    );
    await expect_(
      message({ ...registration, expiresAt: 1n }, VERIFIER_KEYS[1]!),
      "STALE_REGISTRATION",
      "IGNORE",
    );
    await expect_(message(registration, key("outsider")), "NOT_A_VERIFIER", "REJECT");
    await expect_(message(registration, VERIFIER_KEYS[2]!, VERIFIERS[1]!), "BAD_SIGNATURE", "REJECT");
    for (const c of cores) c.store.close();
  });
});

/** Registrars with a hand-driven clock over one fake chain; gossip delivered in process. */
function registrars(chain: FakeChain, options: { takeoverMs?: number; renewBeforeMs?: number } = {}) {
  const clock = { now: Date.now() };
  chain.timestamp = () => BigInt(Math.floor(clock.now / 1000));
  const list: EnclaveRegistrar[] = [];
  const down = new Set<number>();
  VERIFIER_KEYS.forEach((privateKey, i) => {
    const view = chain.viewFor(VERIFIERS[i]!);
    const registrar: EnclaveRegistrar = new EnclaveRegistrar(
      { takeoverMs: options.takeoverMs ?? 10_000, renewBeforeMs: options.renewBeforeMs ?? 3_600_000 },
      {
        chain: view,
        registry: new RegistryCache({}, { chain: view, tee: view, now: () => clock.now }),
        domain,
        signer: { address: VERIFIERS[i]!, privateKey },
        publish: async (bytes) => {
          const m = decodeBatchTopicMessage(bytes);
          if (m.kind !== "enclave") throw new Error("unexpected message");
          list.forEach((other, j) => {
            if (other !== registrar && !down.has(j)) other.onSignature(m.message);
          });
        },
        logger,
        now: () => clock.now,
      },
    );
    list.push(registrar);
  });
  const tickAll = async () => {
    for (const [i, r] of list.entries()) if (!down.has(i)) await r.tick();
  };
  return { list, clock, down, tickAll };
}

function keyRecord(
  enclaveAddress: Address,
  expiresAtMs: number,
  measurement = enclaveMeasurement(enclave.pcrs),
) {
  return { address: enclaveAddress, measurement, expiresAt: expiresAtMs } as EnclaveKeyRecord;
}

describe("EnclaveRegistrar", () => {
  const ENCLAVE = privateKeyToAddress(key("enclave-key"));
  const designated = Number(BigInt(ENCLAVE) % 3n);

  it("behavior: the designated submitter is silent: the next one takes over after takeoverMs", async () => {
    const chain = newChain();
    const { list, clock, down, tickAll } = registrars(chain);
    for (const r of list) r.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    down.add(designated);
    await tickAll(); // the two others sign and exchange: 2 = f + 1 signatures
    await tickAll();
    expect(chain.submissions).toHaveLength(0);
    clock.now += 10_000;
    await tickAll();
    expect(chain.submissions).toHaveLength(1);
    expect(chain.submissions[0]!.by).toBe(VERIFIERS[(designated + 1) % 3]);
    // Idempotent: the third one finds it on chain later and does not send it again.
    clock.now += 10_000;
    await tickAll();
    expect(chain.submissions).toHaveLength(1);
  });

  it("behavior: only verifiers that verified the key sign; one is not a quorum", async () => {
    const chain = newChain();
    const { list, clock, tickAll } = registrars(chain);
    list[0]!.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    for (let i = 0; i < 3; i++) {
      await tickAll();
      clock.now += 10_000;
    }
    expect(chain.submissions).toHaveLength(0);
    expect(list[1]!.health()).toMatchObject({ enclaveKeys: 0, pendingRegistrations: 1 });
    // A second verifier checks the document: now two sign, and it is registered.
    list[1]!.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    for (let i = 0; i < 4; i++) {
      await tickAll();
      clock.now += 10_000;
    }
    expect(chain.submissions).toHaveLength(1);
  });

  it("behavior: different expiries converge: a later document's holder co-signs the earlier registration", async () => {
    const chain = newChain();
    const { list, clock, tickAll } = registrars(chain);
    list[0]!.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    await tickAll(); // verifier 0 proposes its expiry
    list[1]!.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000 + 300_000)); // saw a newer document
    list[2]!.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000 + 600_000));
    for (let i = 0; i < 4; i++) {
      await tickAll();
      clock.now += 10_000;
    }
    expect(chain.submissions).toHaveLength(1);
    expect(chain.submissions[0]!.registration.expiresAt).toBe(
      BigInt(Math.floor((clock.now - 40_000 + 3 * 3_600_000) / 1000)),
    );
  });

  it("behavior: a lasting registration is left alone; one about to expire is renewed with a later expiry", async () => {
    const chain = newChain();
    const { list, clock, tickAll } = registrars(chain, { renewBeforeMs: 3_600_000 });
    const measurement = enclaveMeasurement(enclave.pcrs);
    const nowS = () => BigInt(Math.floor(clock.now / 1000));
    chain.enclaves.set(ENCLAVE.toLowerCase(), { measurement, expiresAt: nowS() + 7_200n });
    for (const r of list) r.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    await tickAll();
    await tickAll();
    expect(chain.submissions).toHaveLength(0);
    expect(list[0]!.health()).toMatchObject({ enclaveKeys: 1, pendingRegistrations: 0 });
    // An hour later the registration has less than renewBeforeMs left; a newer document is known.
    clock.now += 3_600_000 + 1_000;
    for (const r of list) r.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    for (let i = 0; i < 3; i++) {
      await tickAll();
      clock.now += 10_000;
    }
    expect(chain.submissions).toHaveLength(1);
    expect(chain.enclaves.get(ENCLAVE.toLowerCase())!.expiresAt).toBeGreaterThan(nowS() + 7_000n);
  });

  it("behavior: a key registered with another measurement is not contested until it expires", async () => {
    const chain = newChain();
    const { list, clock, tickAll } = registrars(chain);
    const other = enclaveMeasurement(rogue.pcrs);
    chain.enclaves.set(ENCLAVE.toLowerCase(), {
      measurement: other,
      expiresAt: BigInt(Math.floor(clock.now / 1000)) + 600n,
    });
    for (const r of list) r.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 3 * 3_600_000));
    await tickAll();
    await tickAll();
    expect(chain.submissions).toHaveLength(0);
    clock.now += 601_000;
    for (let i = 0; i < 3; i++) {
      await tickAll();
      clock.now += 10_000;
    }
    expect(chain.submissions).toHaveLength(1);
    expect(chain.enclaves.get(ENCLAVE.toLowerCase())!.measurement).toBe(enclaveMeasurement(enclave.pcrs));
  });

  it("behavior: expired keys and registrations are dropped; expiries are capped at the registry's MAX_TTL", async () => {
    const chain = newChain();
    const { list, clock, tickAll } = registrars(chain);
    for (const r of list) r.onVerifiedKey(keyRecord(ENCLAVE, clock.now + 7 * 24 * 3_600_000));
    await tickAll();
    await tickAll();
    expect(chain.submissions).toHaveLength(1);
    expect(chain.submissions[0]!.registration.expiresAt).toBeLessThanOrEqual(
      BigInt(Math.floor(clock.now / 1000)) + 86_400n,
    );
    const stale = keccak256(toHex("stale"));
    for (const r of list) r.onVerifiedKey(keyRecord(privateKeyToAddress(stale), clock.now + 1_000));
    clock.now += 2_000;
    await tickAll();
    expect(list[0]!.health()).toMatchObject({ enclaveKeys: 1 });
  });
});
