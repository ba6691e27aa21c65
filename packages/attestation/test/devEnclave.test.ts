import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttestationConfigError,
  AttestationError,
  checkAttestationPolicy,
  DEV_ROOT_CERT_FILE,
  DEV_ROOT_KEY_FILE,
  DevEnclave,
  DevRoot,
  devEnclavePcrs,
  NitroAttestationVerifier,
  parseAttestation,
  readDevRootPem,
} from "../src/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "opg-dev-root-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("DevEnclave", () => {
  it("default: emits a Nitro-format document that verifies only against the configured dev root", async () => {
    const enclave = await DevEnclave.create();
    const bytes = await enclave.attest({
      userData: new Uint8Array(32).fill(7),
      nonce: new Uint8Array([1, 2]),
    });
    const devnet = new NitroAttestationVerifier({ extraRoots: [enclave.root.certificatePem] });
    const verified = devnet.verify(bytes);
    expect(verified.root).toMatchObject({ aws: false, fingerprint: enclave.root.fingerprint });
    expect(verified.document).toMatchObject({ moduleId: enclave.moduleId, digest: "SHA384" });
    expect(verified.document.userData).toEqual(new Uint8Array(32).fill(7));
    expect(verified.document.nonce).toEqual(new Uint8Array([1, 2]));
    expect(verified.document.publicKey).toBeUndefined();
    expect(verified.document.pcrs).toEqual(devEnclavePcrs("opg-dev-enclave"));
    expect(verified.document.cabundle).toHaveLength(2);
    // Exactly the NSM's framing: untagged COSE_Sign1, protected {1: -35}, empty unprotected map,
    // indefinite-length payload map.
    expect(Buffer.from(bytes.subarray(0, 7)).toString("hex")).toBe("8444a1013822a0");
    expect(parseAttestation(bytes).cose.payload[0]).toBe(0xbf);
    expect(() =>
      checkAttestationPolicy(verified.document, {
        pcrAllowlist: [enclave.pcrSet()],
        userData: new Uint8Array(32).fill(7),
      }),
    ).not.toThrow();

    // Production defaults (AWS root only) reject it.
    const error = (() => {
      try {
        new NitroAttestationVerifier().verify(bytes);
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(AttestationError);
    expect((error as AttestationError).code).toBe("UNTRUSTED_ROOT");
  });

  it("args: imageId and pcrs — same image, same measurements; explicit PCRs are used as given", async () => {
    const root = await DevRoot.generate();
    const a = await DevEnclave.create({ root, imageId: "model-runner:v1" });
    const b = await DevEnclave.create({ root, imageId: "model-runner:v1" });
    const c = await DevEnclave.create({ root, imageId: "model-runner:v2" });
    expect(a.pcrSet()).toEqual(b.pcrSet());
    expect(a.pcrSet()).not.toEqual(c.pcrSet());
    const zero = new Map([
      [0, new Uint8Array(48)],
      [1, new Uint8Array(48)],
      [2, new Uint8Array(48)],
    ]);
    const debug = await DevEnclave.create({ root, pcrs: zero });
    const verified = new NitroAttestationVerifier({ extraRoots: [root.certificatePem] }).verify(
      await debug.attest({}),
    );
    expect(() => checkAttestationPolicy(verified.document, {})).toThrow(/debug mode/);
  });

  it("behavior: the leaf is renewed before it expires and every document stays within its leaf's validity", async () => {
    let now = Date.UTC(2030, 0, 1);
    const enclave = await DevEnclave.create({ now: () => now });
    const verifier = new NitroAttestationVerifier({ extraRoots: [enclave.root.certificatePem] });
    const leaves = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const verified = verifier.verify(await enclave.attest({}));
      expect(verified.document.timestamp).toBe(now);
      leaves.add(Buffer.from(verified.document.certificate).toString("hex"));
      now += 45 * 60_000; // 8 documents over 6 hours: leaves of 3 h must rotate
    }
    expect(leaves.size).toBeGreaterThanOrEqual(3);
  });

  it("error: a field over the NSM's 1024-byte limit is BAD_ATTEST_REQUEST", async () => {
    const enclave = await DevEnclave.create();
    await expect(enclave.attest({ userData: new Uint8Array(1024) })).resolves.toBeInstanceOf(Uint8Array);
    await expect(enclave.attest({ userData: new Uint8Array(1025) })).rejects.toMatchObject({
      code: "BAD_ATTEST_REQUEST",
    });
    const verifier = new NitroAttestationVerifier({ extraRoots: [enclave.root.certificatePem] });
    const big = verifier.verify(
      await enclave.attest({
        userData: new Uint8Array(1024),
        nonce: new Uint8Array(1024),
        publicKey: new Uint8Array(1024),
      }),
    );
    expect(big.document.publicKey).toHaveLength(1024);
  });
});

describe("DevRoot", () => {
  it("default: loadOrCreate persists one root that concurrent processes share", async () => {
    const shared = join(dir, "devnet");
    const results = await Promise.all([1, 2, 3, 4].map(() => DevRoot.loadOrCreate(shared)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.root.fingerprint)).size).toBe(1);
    const again = await DevRoot.loadOrCreate(shared);
    expect(again).toMatchObject({ created: false });
    expect(again.root.fingerprint).toBe(results[0]!.root.fingerprint);
    expect(((await stat(join(shared, DEV_ROOT_KEY_FILE))).mode & 0o777).toString(8)).toBe("600");

    // A dev enclave of another "process" signs with the loaded root; a verifier reads the PEM path.
    const enclave = await DevEnclave.create({ root: again.root });
    const pem = await readDevRootPem(shared);
    expect(pem).toBe(await readFile(join(shared, DEV_ROOT_CERT_FILE), "utf8"));
    const verified = new NitroAttestationVerifier({ extraRoots: [pem] }).verify(await enclave.attest({}));
    expect(verified.root.fingerprint).toBe(results[0]!.root.fingerprint);
  });

  it("error: readDevRootPem — missing file is DEV_ROOT_MISSING, the key file is DEV_ROOT_INVALID", async () => {
    await expect(readDevRootPem(join(dir, "nowhere"))).rejects.toMatchObject({ code: "DEV_ROOT_MISSING" });
    await DevRoot.loadOrCreate(join(dir, "keyed"));
    await expect(readDevRootPem(join(dir, "keyed", DEV_ROOT_KEY_FILE))).rejects.toMatchObject({
      code: "DEV_ROOT_INVALID",
    });
    const garbage = join(dir, "garbage.pem");
    await writeFile(garbage, "not a certificate");
    await expect(readDevRootPem(garbage)).rejects.toBeInstanceOf(AttestationConfigError);
  });

  it("error: a corrupt key file is DEV_ROOT_INVALID, never silently replaced", async () => {
    const broken = join(dir, "broken");
    await DevRoot.loadOrCreate(broken);
    await writeFile(
      join(broken, DEV_ROOT_KEY_FILE),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await expect(DevRoot.loadOrCreate(broken)).rejects.toMatchObject({ code: "DEV_ROOT_INVALID" });
  });
});
