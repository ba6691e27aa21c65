import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { x509 } from "../x509/peculiar.js";
import { certificateFingerprint } from "../x509/TrustedRoots.js";
import {
  createRootCertificate,
  floorToSecond,
  generateP384KeyPair,
  type IssuedCertificate,
  P384_KEY_ALGORITHM,
} from "./devCertificates.js";

/** The dev root certificate, public: what verifiers of a devnet are configured with. */
export const DEV_ROOT_CERT_FILE = "nitro-dev-root.pem";
/** The dev root private key (PKCS#8) followed by its certificate, mode 0600: only dev enclaves read it. */
export const DEV_ROOT_KEY_FILE = "nitro-dev-root.key.pem";

const DEV_ROOT_SUBJECT = "C=US, O=opg, OU=DEVELOPMENT ONLY, CN=dev.nitro-enclaves";
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A development root CA standing in for the AWS Nitro root: ECDSA P-384, self-signed, CA. A
 * devnet shares one (`loadOrCreate(dir)`) so that every dev enclave's documents chain to the root
 * its verifiers were given. Verifiers accept it only when configured with it (`extraRoots`).
 */
export class DevRoot {
  /** The certificate and its key pair (the key signs dev intermediates; dev use only). */
  readonly issued: IssuedCertificate;
  /** PEM of the certificate (no key), for `NitroAttestationVerifierOptions.extraRoots`. */
  readonly certificatePem: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  readonly fingerprint: string;

  private constructor(issued: IssuedCertificate) {
    this.issued = issued;
    this.certificatePem = `${issued.certificate.toString("pem")}\n`;
    this.fingerprint = certificateFingerprint(issued.der);
  }

  /** A fresh in-memory root (tests, single-process devnets). Valid 30 years from a day ago. */
  static async generate(now: number = Date.now()): Promise<DevRoot> {
    const notBefore = floorToSecond(now - DAY_MS);
    const keys = await generateP384KeyPair();
    return new DevRoot(
      await createRootCertificate({
        subject: DEV_ROOT_SUBJECT,
        keys,
        notBefore,
        notAfter: notBefore + 30 * 365 * DAY_MS,
      }),
    );
  }

  /**
   * Loads the root persisted in `dir`, or creates it there. Safe when several processes start at
   * once: the key file is written to a temporary name and hard-linked into place, so exactly one
   * root wins and the others load it. Also (re)writes the public certificate file for verifiers.
   */
  static async loadOrCreate(dir: string): Promise<{ root: DevRoot; created: boolean }> {
    const keyPath = join(dir, DEV_ROOT_KEY_FILE);
    let root = await DevRoot.#load(keyPath);
    let created = false;
    if (root === undefined) {
      await mkdir(dir, { recursive: true, mode: 0o755 }); // verifiers read the public certificate here
      const fresh = await DevRoot.generate();
      const tmp = `${keyPath}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
      await writeFile(tmp, await fresh.#keyFileContents(), { mode: 0o600, flag: "wx" });
      try {
        await link(tmp, keyPath);
        root = fresh;
        created = true;
      } catch (err) {
        if (errnoCode(err) !== "EEXIST") throw err;
        root = await DevRoot.#load(keyPath); // another process won the race: use its root
        if (root === undefined) throw err;
      } finally {
        await unlink(tmp).catch(() => {});
      }
    }
    await writeAtomically(join(dir, DEV_ROOT_CERT_FILE), root.certificatePem);
    return { root, created };
  }

  static async #load(path: string): Promise<DevRoot | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
    try {
      const certificate = new x509.X509Certificate(pemBlock(text, "CERTIFICATE"));
      const keyDer = x509.PemConverter.decodeFirst(pemBlock(text, "PRIVATE KEY"));
      const privateKey = await webcrypto.subtle.importKey("pkcs8", keyDer, P384_KEY_ALGORITHM, true, [
        "sign",
      ]);
      const publicKey = await certificate.publicKey.export(P384_KEY_ALGORITHM, ["verify"], webcrypto);
      return new DevRoot({
        certificate,
        der: new Uint8Array(certificate.rawData),
        keys: { privateKey, publicKey },
        signingKey: KeyObject.from(privateKey),
        notBefore: certificate.notBefore.getTime(),
        notAfter: certificate.notAfter.getTime(),
      });
    } catch (cause) {
      throw new AttestationConfigError("DEV_ROOT_INVALID", "The dev root key file cannot be read.", {
        details: path,
        cause,
      });
    }
  }

  async #keyFileContents(): Promise<string> {
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", this.issued.keys.privateKey);
    return `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n${this.certificatePem}`;
  }
}

/**
 * Reads the dev root certificate PEM for a verifier, from the file or from the directory that
 * `DevRoot.loadOrCreate` wrote. Refuses a file holding a private key (a verifier never needs it).
 */
export async function readDevRootPem(path: string): Promise<string> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, DEV_ROOT_CERT_FILE);
    const pem = await readFile(file, "utf8");
    if (pem.includes("PRIVATE KEY")) {
      throw new AttestationConfigError(
        "DEV_ROOT_INVALID",
        "The dev root file given to a verifier holds a private key.",
        {
          details: `${file}: use ${DEV_ROOT_CERT_FILE}, not ${DEV_ROOT_KEY_FILE}`,
        },
      );
    }
    if (!pem.includes("BEGIN CERTIFICATE")) {
      throw new AttestationConfigError("DEV_ROOT_INVALID", "The dev root file holds no certificate.", {
        details: file,
      });
    }
    return pem;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") {
      throw new AttestationConfigError("DEV_ROOT_MISSING", "The dev root certificate does not exist.", {
        details: `${file}: start a dev enclave with this directory first (DevRoot.loadOrCreate)`,
        cause: err,
      });
    }
    throw err;
  }
}

function pemBlock(text: string, label: string): string {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`no ${label} block`);
  return text.slice(from, to + end.length);
}

async function writeAtomically(path: string, contents: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, contents, { mode: 0o644 });
  await rename(tmp, path);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}
