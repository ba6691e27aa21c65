import type { Hex } from "viem";
import { keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationError,
  type AttestationErrorCode,
  DevEnclave,
  DevRoot,
  decodeTeeProof,
  EnclaveKey,
  enclaveMeasurement,
  encodeTeeProof,
  NitroAttestationVerifier,
  type PcrAllowlist,
  TeeProver,
  TeeVerifier,
  toEnclaveRegistration,
} from "../src/index.js";

const MODEL_A = keccak256(toHex("model-a"));
const MODEL_B = keccak256(toHex("model-b"));
const NO_TEE_MODEL = keccak256(toHex("model-without-tee"));
const resultHash = (i: number): Hex => keccak256(toHex(`result-${i}`));

let root: DevRoot;
let enclave: DevEnclave;
let otherImage: DevEnclave;
let devVerifier: NitroAttestationVerifier;

beforeAll(async () => {
  root = await DevRoot.generate();
  enclave = await DevEnclave.create({ root, imageId: "opg-exec:1" });
  otherImage = await DevEnclave.create({ root, imageId: "opg-exec:evil" });
  devVerifier = new NitroAttestationVerifier({ extraRoots: [root.certificatePem] });
});

/** A clock tests move by hand (no sleeps). */
function clock(start = Date.now()) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function newVerifier(
  now: () => number,
  allowlists: Record<Hex, PcrAllowlist> = { [MODEL_A]: [enclave.pcrSet()] },
) {
  return new TeeVerifier({
    attestationVerifier: devVerifier,
    pcrAllowlist: (modelId) => allowlists[modelId],
    now,
  });
}

function expectCode(fn: () => unknown, code: AttestationErrorCode, action: "REJECT" | "IGNORE" = "REJECT") {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect(err).toMatchObject({ code, action });
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("TeeProver + TeeVerifier (enclave-key binding)", () => {
  it("default: the first proof carries the document, later ones its id; all verify", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn);

    const first = await prover.prove(resultHash(1));
    const decoded = decodeTeeProof(first);
    expect(decoded.binding === "enclave-key" && "document" in decoded.attestation).toBe(true);
    const v1 = verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: first });
    expect(v1).toMatchObject({ binding: "enclave-key", registered: true });
    if (v1.binding !== "enclave-key") throw new Error("unreachable");
    expect(v1.enclave.address).toBe(prover.enclaveAddress);
    expect(v1.enclave.expiresAt - v1.enclave.attestedAt).toBe(3 * 60 * 60 * 1000);

    t.now += 1000;
    const second = await prover.prove(resultHash(2));
    expect(second.length).toBeLessThan(120);
    expect(
      verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: second }),
    ).toMatchObject({
      registered: false,
      enclave: { address: prover.enclaveAddress },
    });
    expect(verifier.stats).toEqual({ enclaveKeys: 1, registered: 1 });

    const registration = toEnclaveRegistration(v1.enclave);
    expect(registration.enclave).toBe(prover.enclaveAddress);
    expect(registration.expiresAt).toBe(BigInt(Math.floor(v1.enclave.expiresAt / 1000)));
  });

  it("behavior: the document is re-attached every documentIntervalMs and refreshed every refreshIntervalMs", async () => {
    const t = clock();
    const prover = new TeeProver({
      provider: enclave,
      now: t.fn,
      documentIntervalMs: 30_000,
      refreshIntervalMs: 300_000,
    });
    const kinds: string[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const proof = decodeTeeProof(await prover.prove(resultHash(i)));
      if (proof.binding !== "enclave-key") throw new Error("unreachable");
      kinds.push("document" in proof.attestation ? "doc" : "id");
      ids.add((await prover.attestation()).attestationId);
      t.now += 20_000;
    }
    expect(kinds.slice(0, 4)).toEqual(["doc", "id", "doc", "id"]);
    expect(ids.size).toBe(2); // 20 proofs over 400 s: a fresh document every 300 s
  });

  it("error: an id-only proof before its document is UNKNOWN_ATTESTATION (IGNORE); fine after", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const late = newVerifier(t.fn);
    const withDocument = await prover.prove(resultHash(1));
    const idOnly = await prover.prove(resultHash(2));
    expectCode(
      () => late.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: idOnly }),
      "UNKNOWN_ATTESTATION",
      "IGNORE",
    );
    late.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: withDocument });
    expect(() =>
      late.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: idOnly }),
    ).not.toThrow();
  });

  it("error: a signature over another result, or by another key, is BAD_SIGNATURE", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn);
    const proof = await prover.prove(resultHash(1));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(9), proof }),
      "BAD_SIGNATURE",
    );

    const decoded = decodeTeeProof(proof);
    if (decoded.binding !== "enclave-key") throw new Error("unreachable");
    const forged = encodeTeeProof({ ...decoded, signature: EnclaveKey.generate().signResult(resultHash(1)) });
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: forged }),
      "BAD_SIGNATURE",
    );
    // Nothing from the failed proofs was remembered.
    expect(verifier.stats.enclaveKeys).toBe(0);
  });

  it("error: high-s (malleable) enclave signatures are BAD_SIGNATURE", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn);
    const decoded = decodeTeeProof(await prover.prove(resultHash(1)));
    if (decoded.binding !== "enclave-key") throw new Error("unreachable");
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sig = decoded.signature.slice(2);
    const s = BigInt(`0x${sig.slice(64, 128)}`);
    const v = sig.slice(128) === "1b" ? "1c" : "1b";
    const highS = `0x${sig.slice(0, 64)}${(n - s).toString(16).padStart(64, "0")}${v}` as Hex;
    expectCode(
      () =>
        verifier.verifyProof({
          modelId: MODEL_A,
          resultHash: resultHash(1),
          proof: { ...decoded, signature: highS },
        }),
      "BAD_SIGNATURE",
    );
  });

  it("args: pcrAllowlist per model — another model's image is PCR_MISMATCH, a model without TEE is NO_POLICY", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn, { [MODEL_A]: [enclave.pcrSet()], [MODEL_B]: [otherImage.pcrSet()] });
    const proof = await prover.prove(resultHash(1));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(1), proof }),
      "PCR_MISMATCH",
    );
    expectCode(
      () => verifier.verifyProof({ modelId: NO_TEE_MODEL, resultHash: resultHash(1), proof }),
      "NO_POLICY",
    );
    verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof });
    // The cached key is still checked per model.
    const idOnly = await prover.prove(resultHash(2));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(2), proof: idOnly }),
      "PCR_MISMATCH",
    );
  });

  it("behavior: a document of another image carrying an honest enclave's public key is rejected and changes nothing", async () => {
    const t = clock();
    const honest = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn);
    verifier.verifyProof({
      modelId: MODEL_A,
      resultHash: resultHash(1),
      proof: await honest.prove(resultHash(1)),
    });
    // The attacker's enclave attests the honest key (public) but cannot sign with it.
    const hijack = await otherImage.attest({ publicKey: honest.options.enclaveKey.publicKey });
    const proof = encodeTeeProof({
      binding: "enclave-key",
      attestation: { document: hijack },
      signature: honest.options.enclaveKey.signResult(resultHash(3)), // replayed honest signature
    });
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(3), proof }),
      "PCR_MISMATCH",
    );
    expect(verifier.stats.enclaveKeys).toBe(1);
    // The honest enclave's later id-only proofs still verify.
    t.now += 1000;
    const later = await honest.prove(resultHash(4));
    expect(() =>
      verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(4), proof: later }),
    ).not.toThrow();
  });

  it("error: freshness — a document older than maxAttestationAgeMs when first seen, or a key past its TTL, is STALE", async () => {
    const t = clock();
    const timed = await DevEnclave.create({ root, imageId: "opg-exec:1", now: t.fn }); // same image, test clock
    const prover = new TeeProver({ provider: timed, now: t.fn, refreshIntervalMs: 24 * 3_600_000 });
    const proof = await prover.prove(resultHash(1));
    t.now += 10 * 60_000 + 1;
    expectCode(
      () => newVerifier(t.fn).verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof }),
      "STALE",
    );

    t.now -= 10 * 60_000 + 1;
    const verifier = newVerifier(t.fn);
    verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof });
    t.now += 3 * 3_600_000;
    const lastValid = await prover.prove(resultHash(2));
    expect(() =>
      verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: lastValid }),
    ).not.toThrow();
    t.now += 1;
    const afterTtl = await prover.prove(resultHash(3));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(3), proof: afterTtl }),
      "STALE",
    );
  });

  it("error: a debug-mode enclave is DEBUG_ENCLAVE unless allowDebug", async () => {
    const zero = new Map([0, 1, 2].map((i) => [i, new Uint8Array(48)] as const));
    const debug = await DevEnclave.create({ root, pcrs: zero });
    const t = clock();
    const prover = new TeeProver({ provider: debug, now: t.fn });
    const proof = await prover.prove(resultHash(1));
    const allow = { [MODEL_A]: [debug.pcrSet()] };
    expectCode(
      () => newVerifier(t.fn, allow).verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof }),
      "DEBUG_ENCLAVE",
    );
    const lenient = new TeeVerifier({
      attestationVerifier: devVerifier,
      pcrAllowlist: (m) => allow[m],
      allowDebug: true,
      now: t.fn,
    });
    expect(() => lenient.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof })).not.toThrow();
  });

  it("error: a document without public_key cannot vouch for a key (BINDING_MISMATCH)", async () => {
    const t = clock();
    const verifier = newVerifier(t.fn);
    const proof = encodeTeeProof({
      binding: "enclave-key",
      attestation: { document: await enclave.attest({}) },
      signature: EnclaveKey.generate().signResult(resultHash(1)),
    });
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof }),
      "BINDING_MISMATCH",
    );
    const notAKey = encodeTeeProof({
      binding: "enclave-key",
      attestation: { document: await enclave.attest({ publicKey: new Uint8Array(65).fill(4) }) },
      signature: EnclaveKey.generate().signResult(resultHash(1)),
    });
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: notAKey }),
      "BINDING_MISMATCH",
    );
  });

  it("behavior: records known only by measurement (e.g. from the chain) match allowlists of PCR0..2", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const source = newVerifier(t.fn);
    const v = source.verifyProof({
      modelId: MODEL_A,
      resultHash: resultHash(1),
      proof: await prover.prove(resultHash(1)),
    });
    if (v.binding !== "enclave-key") throw new Error("unreachable");
    const fromChain = newVerifier(t.fn);
    fromChain.addEnclaveKey({ ...v.enclave, pcrs: undefined });
    const idOnly = await prover.prove(resultHash(2));
    expect(() =>
      fromChain.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: idOnly }),
    ).not.toThrow();
    const withPcr8 = newVerifier(t.fn, { [MODEL_A]: [{ ...enclave.pcrSet(), 8: `0x${"00".repeat(48)}` }] });
    withPcr8.addEnclaveKey({ ...v.enclave, pcrs: undefined });
    expectCode(
      () => withPcr8.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: idOnly }),
      "PCR_MISMATCH",
    );
  });
});

describe("TeeProver + TeeVerifier (per-result document binding)", () => {
  it("default: a fresh document whose user_data is the result hash verifies", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, binding: "document", now: t.fn });
    const verifier = newVerifier(t.fn);
    const proof = await prover.prove(resultHash(1));
    const v = verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof });
    expect(v.binding).toBe("document");
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof }),
      "BINDING_MISMATCH",
    );
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(1), proof }),
      "NO_POLICY",
    );
  });
});

describe("TeeVerifier.registerAttestation", () => {
  it("default: a document announced outside a result registers its key; id-only proofs then verify", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const verifier = newVerifier(t.fn, { [MODEL_A]: [enclave.pcrSet()], [MODEL_B]: [otherImage.pcrSet()] });
    const { document, attestationId } = await prover.attestation();
    const record = verifier.registerAttestation(document, MODEL_A);
    expect(record).toMatchObject({ attestationId, address: prover.enclaveAddress, aws: false });
    expect(verifier.getEnclaveKey(attestationId)).toBe(record);
    await prover.prove(resultHash(0)); // the first proof carries the document; the next ones its id
    const idOnly = await prover.prove(resultHash(1));
    expect(() =>
      verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: idOnly }),
    ).not.toThrow();
    expectCode(() => verifier.registerAttestation(document, MODEL_B), "PCR_MISMATCH");
    expectCode(() => verifier.registerAttestation(document, NO_TEE_MODEL), "NO_POLICY");
  });
});

describe("TeeVerifier with measurement allowlists (the ModelRegistry's measurements)", () => {
  function byMeasurement(now: () => number, lists: Record<Hex, readonly Hex[]>) {
    return new TeeVerifier({
      attestationVerifier: devVerifier,
      measurementAllowlist: (modelId) => lists[modelId],
      now,
    });
  }

  it("default: a document whose keccak256(PCR0 ‖ PCR1 ‖ PCR2) is listed verifies; its key then signs results", async () => {
    const t = clock();
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const measurement = enclaveMeasurement(enclave.pcrs);
    const verifier = byMeasurement(t.fn, {
      [MODEL_A]: [measurement.toUpperCase().replace("0X", "0x") as Hex],
    });
    const first = verifier.verifyProof({
      modelId: MODEL_A,
      resultHash: resultHash(1),
      proof: await prover.prove(resultHash(1)),
    });
    expect(first).toMatchObject({ binding: "enclave-key", registered: true });
    if (first.binding !== "enclave-key") throw new Error("unreachable");
    expect(first.enclave.measurement).toBe(measurement);
    expect(toEnclaveRegistration(first.enclave)).toMatchObject({
      enclave: prover.enclaveAddress,
      measurement,
    });
    const next = verifier.verifyProof({
      modelId: MODEL_A,
      resultHash: resultHash(2),
      proof: await prover.prove(resultHash(2)),
    });
    expect(next).toMatchObject({ binding: "enclave-key", registered: false });
  });

  it("error: an image not listed for the model is PCR_MISMATCH, whether its document is new or cached; no list is NO_POLICY", async () => {
    const t = clock();
    const lists: Record<Hex, readonly Hex[]> = {
      [MODEL_A]: [enclaveMeasurement(enclave.pcrs)],
      [MODEL_B]: [enclaveMeasurement(otherImage.pcrs)],
      [NO_TEE_MODEL]: [],
    };
    const verifier = byMeasurement(t.fn, lists);
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const proof = await prover.prove(resultHash(1));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(1), proof }),
      "PCR_MISMATCH",
    );
    expect(verifier.stats.enclaveKeys).toBe(0);
    expectCode(
      () => verifier.verifyProof({ modelId: NO_TEE_MODEL, resultHash: resultHash(1), proof }),
      "NO_POLICY",
    );
    verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof });
    const idOnly = await prover.prove(resultHash(2));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(2), proof: idOnly }),
      "PCR_MISMATCH",
    );
    // The list is read per call: removing the measurement revokes the cached key for the model.
    lists[MODEL_A] = [enclaveMeasurement(otherImage.pcrs)];
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(2), proof: idOnly }),
      "PCR_MISMATCH",
    );
  });

  it("behavior: a PCR allowlist for the model takes precedence; the measurement list is the fallback", async () => {
    const t = clock();
    const verifier = new TeeVerifier({
      attestationVerifier: devVerifier,
      pcrAllowlist: (modelId) => (modelId === MODEL_A ? [otherImage.pcrSet()] : undefined),
      measurementAllowlist: () => [enclaveMeasurement(enclave.pcrs)],
      now: t.fn,
    });
    const prover = new TeeProver({ provider: enclave, now: t.fn });
    const proof = await prover.prove(resultHash(1));
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof }),
      "PCR_MISMATCH",
    );
    verifier.verifyProof({ modelId: MODEL_B, resultHash: resultHash(1), proof });
  });

  it("behavior: the per-result document binding is held to the measurement list too", async () => {
    const t = clock();
    const verifier = byMeasurement(t.fn, { [MODEL_A]: [enclaveMeasurement(enclave.pcrs)] });
    const good = await new TeeProver({ provider: enclave, binding: "document", now: t.fn }).prove(
      resultHash(1),
    );
    expect(verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: good }).binding).toBe(
      "document",
    );
    const other = await new TeeProver({ provider: otherImage, binding: "document", now: t.fn }).prove(
      resultHash(1),
    );
    expectCode(
      () => verifier.verifyProof({ modelId: MODEL_A, resultHash: resultHash(1), proof: other }),
      "PCR_MISMATCH",
    );
  });

  it("error: a verifier needs one allowlist source", () => {
    expect(() => new TeeVerifier({} as never)).toThrow(/pcrAllowlist or measurementAllowlist/);
  });
});
