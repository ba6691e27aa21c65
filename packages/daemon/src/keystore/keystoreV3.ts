import {
  createCipheriv,
  createDecipheriv,
  pbkdf2,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt";
import { bytesToHex, type Hex, hexToBytes, isHex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import * as z from "zod";
import { KeystoreError } from "../errors.js";

/** An Ethereum V3 keystore (Web3 Secret Storage), as written by geth, ethers and Foundry. */
export type KeystoreV3 = {
  version: 3;
  id: string;
  /** Lowercase hex address without 0x (optional in the format; always written here). */
  address?: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: ScryptParams | Pbkdf2Params;
    mac: string;
  };
};

export type ScryptParams = { dklen: number; n: number; r: number; p: number; salt: string };
export type Pbkdf2Params = { dklen: number; c: number; prf: "hmac-sha256"; salt: string };

export type EncryptKeystoreOptions = {
  kdf?: "scrypt" | "pbkdf2";
  /** scrypt cost; geth's standard is n = 262144, r = 8, p = 1 (the default). */
  scrypt?: { n?: number; r?: number; p?: number };
  /** pbkdf2 iterations; 262144 by default. */
  pbkdf2?: { c?: number };
  /** For reproducible test vectors only; random by default. */
  salt?: Uint8Array;
  iv?: Uint8Array;
  id?: string;
};

/** Bounds on KDF parameters read from a file, so a crafted keystore cannot exhaust memory or CPU. */
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;
const MAX_PBKDF2_ROUNDS = 10_000_000;

const hexString = (bytes?: number) =>
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]*$/, "expected hex")
    .refine((s) => s.replace(/^0x/, "").length % 2 === 0, "expected an even number of hex digits")
    .refine(
      (s) => bytes === undefined || s.replace(/^0x/, "").length === bytes * 2,
      `expected ${bytes} bytes`,
    );

const keystoreSchema = z.object({
  version: z.literal(3),
  id: z.string().optional(),
  address: z.string().optional(),
  crypto: z.object({
    cipher: z.literal("aes-128-ctr"),
    cipherparams: z.object({ iv: hexString(16) }),
    ciphertext: hexString(32),
    kdf: z.enum(["scrypt", "pbkdf2"]),
    kdfparams: z.union([
      z.object({
        dklen: z.literal(32),
        n: z.int().positive(),
        r: z.int().positive(),
        p: z.int().positive(),
        salt: hexString(),
      }),
      z.object({
        dklen: z.literal(32),
        c: z.int().positive(),
        prf: z.literal("hmac-sha256"),
        salt: hexString(),
      }),
    ]),
    mac: hexString(32),
  }),
});

function unhex(value: string): Buffer {
  return Buffer.from(value.replace(/^0x/, ""), "hex");
}

function deriveKey(
  password: string,
  kdf: "scrypt" | "pbkdf2",
  params: ScryptParams | Pbkdf2Params,
): Promise<Buffer> {
  const salt = unhex(params.salt);
  // Raw UTF-8 like geth (no Unicode normalisation).
  const secret = Buffer.from(password, "utf8");
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, key: Buffer) => {
      secret.fill(0);
      if (error) reject(error);
      else resolve(key);
    };
    if (kdf === "scrypt" && "n" in params) {
      const memory = 128 * params.n * params.r;
      if ((params.n & (params.n - 1)) !== 0 || params.n < 2 || memory > MAX_SCRYPT_MEMORY || params.p > 16) {
        reject(new KeystoreError("KEYSTORE_UNSUPPORTED", "Keystore scrypt parameters are out of bounds"));
        return;
      }
      if (params.n >= 2 ** Math.min(16 * params.r, 52)) {
        // OpenSSL refuses N >= 2^(16r) (the Web3 test vector has N = 2^18 with r = 1): @noble/hashes'
        // scrypt then, with its CPU cost bounded too.
        if (params.n * params.r * params.p > 2 ** 22) {
          reject(new KeystoreError("KEYSTORE_UNSUPPORTED", "Keystore scrypt parameters are out of bounds"));
          return;
        }
        try {
          const key = nobleScrypt(secret, salt, {
            N: params.n,
            r: params.r,
            p: params.p,
            dkLen: params.dklen,
          });
          done(null, Buffer.from(key));
        } catch (error) {
          done(error as Error, Buffer.alloc(0));
        }
        return;
      }
      const maxmem = memory + 128 * params.r * params.p + 32 * 1024 * 1024;
      try {
        scrypt(secret, salt, params.dklen, { N: params.n, r: params.r, p: params.p, maxmem }, done);
      } catch (error) {
        done(error as Error, Buffer.alloc(0));
      }
    } else if (kdf === "pbkdf2" && "c" in params) {
      if (params.c > MAX_PBKDF2_ROUNDS) {
        reject(new KeystoreError("KEYSTORE_UNSUPPORTED", "Keystore pbkdf2 iteration count is out of bounds"));
        return;
      }
      pbkdf2(secret, salt, params.c, params.dklen, "sha256", done);
    } else {
      reject(new KeystoreError("KEYSTORE_INVALID", "Keystore kdfparams do not match its kdf"));
    }
  });
}

function mac(derived: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(hexToBytes(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext]))));
}

/** Encrypts a 32-byte private key under `password` as a V3 keystore (scrypt by default). */
export async function encryptKeystore(
  privateKey: Hex,
  password: string,
  options: EncryptKeystoreOptions = {},
): Promise<KeystoreV3> {
  if (!isHex(privateKey) || privateKey.length !== 66) {
    throw new KeystoreError("KEYSTORE_INVALID_KEY", "Private key must be 32 bytes of 0x-prefixed hex");
  }
  let address: string;
  try {
    address = privateKeyToAccount(privateKey).address.slice(2).toLowerCase();
  } catch (error) {
    throw new KeystoreError("KEYSTORE_INVALID_KEY", "Private key is not a valid secp256k1 key", {
      cause: error,
    });
  }
  const salt = bytesToHex(options.salt ?? randomBytes(32)).slice(2);
  const iv = Buffer.from(options.iv ?? randomBytes(16));
  const kdf = options.kdf ?? "scrypt";
  const kdfparams: ScryptParams | Pbkdf2Params =
    kdf === "scrypt"
      ? {
          dklen: 32,
          n: options.scrypt?.n ?? 262144,
          r: options.scrypt?.r ?? 8,
          p: options.scrypt?.p ?? 1,
          salt,
        }
      : { dklen: 32, c: options.pbkdf2?.c ?? 262144, prf: "hmac-sha256", salt };
  const derived = await deriveKey(password, kdf, kdfparams);
  const key = Buffer.from(hexToBytes(privateKey));
  try {
    const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
    return {
      version: 3,
      id: options.id ?? randomUUID(),
      address,
      crypto: {
        cipher: "aes-128-ctr",
        cipherparams: { iv: iv.toString("hex") },
        ciphertext: ciphertext.toString("hex"),
        kdf,
        kdfparams,
        mac: mac(derived, ciphertext).toString("hex"),
      },
    };
  } finally {
    derived.fill(0);
    key.fill(0);
  }
}

/** Checks that `value` has the shape of a supported V3 keystore. */
export function parseKeystore(value: unknown): KeystoreV3 {
  const result = keystoreSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const unsupported = first?.path.some(
      (p) => p === "cipher" || p === "kdf" || p === "version" || p === "prf",
    );
    throw new KeystoreError(
      unsupported ? "KEYSTORE_UNSUPPORTED" : "KEYSTORE_INVALID",
      unsupported ? "Keystore uses an unsupported format" : "Keystore is malformed",
      { details: first ? `${first.path.join(".") || "(root)"}: ${first.message}` : undefined },
    );
  }
  return result.data as KeystoreV3;
}

/**
 * Decrypts a V3 keystore and returns the private key. The MAC is checked first (constant time),
 * so a wrong password is `KEYSTORE_WRONG_PASSWORD`, never a wrong key.
 */
export async function decryptKeystore(value: unknown, password: string): Promise<Hex> {
  const keystore = parseKeystore(value);
  const { crypto } = keystore;
  const derived = await deriveKey(password, crypto.kdf, crypto.kdfparams);
  try {
    const ciphertext = unhex(crypto.ciphertext);
    if (!timingSafeEqual(mac(derived, ciphertext), unhex(crypto.mac))) {
      throw new KeystoreError("KEYSTORE_WRONG_PASSWORD", "Wrong keystore password (MAC mismatch)");
    }
    const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), unhex(crypto.cipherparams.iv));
    const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const privateKey = bytesToHex(key);
    key.fill(0);
    if (keystore.address !== undefined && keystore.address !== "") {
      const actual = privateKeyToAccount(privateKey).address.slice(2).toLowerCase();
      if (actual !== keystore.address.replace(/^0x/, "").toLowerCase()) {
        throw new KeystoreError("KEYSTORE_INVALID", "Keystore address does not match its key");
      }
    }
    return privateKey;
  } finally {
    derived.fill(0);
  }
}
