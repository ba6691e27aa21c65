import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createKeystore,
  decryptKeystore,
  encryptKeystore,
  KeystoreError,
  loadKeystoreAccount,
  readPassword,
} from "../src/index.js";
import { memoryLogger } from "./helpers.js";

// Web3 Secret Storage Definition test vectors (password "testpassword").
const SECRET = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const ADDRESS = "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b";
const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      p: 8,
      r: 1,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

const FAST = { scrypt: { n: 1024 } };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "opg-keystore-"));
}

async function keystoreError(promise: Promise<unknown>): Promise<KeystoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KeystoreError)) throw new Error(`expected a KeystoreError, got ${String(error)}`);
  return error;
}

describe("decryptKeystore", () => {
  it("default", async () => {
    expect(await decryptKeystore(PBKDF2_VECTOR, "testpassword")).toBe(SECRET);
  });

  it("behavior: decrypts the scrypt test vector (geth/ethers compatible)", async () => {
    expect(await decryptKeystore(SCRYPT_VECTOR, "testpassword")).toBe(SECRET);
  });

  it("error: wrong password", async () => {
    const error = await keystoreError(decryptKeystore(PBKDF2_VECTOR, "wrong"));
    expect(error.code).toBe("KEYSTORE_WRONG_PASSWORD");
  });

  it("error: malformed and unsupported keystores", async () => {
    expect((await keystoreError(decryptKeystore({ version: 3 }, "x"))).code).toBe("KEYSTORE_INVALID");
    const cbc = { ...PBKDF2_VECTOR, crypto: { ...PBKDF2_VECTOR.crypto, cipher: "aes-128-cbc" } };
    expect((await keystoreError(decryptKeystore(cbc, "x"))).code).toBe("KEYSTORE_UNSUPPORTED");
    const huge = {
      ...SCRYPT_VECTOR,
      crypto: { ...SCRYPT_VECTOR.crypto, kdfparams: { ...SCRYPT_VECTOR.crypto.kdfparams, n: 2 ** 30, r: 8 } },
    };
    expect((await keystoreError(decryptKeystore(huge, "x"))).code).toBe("KEYSTORE_UNSUPPORTED");
  });

  it("error: address that does not match the key", async () => {
    const keystore = await encryptKeystore(SECRET, "pw", FAST);
    const forged = { ...keystore, address: "0000000000000000000000000000000000000001" };
    expect((await keystoreError(decryptKeystore(forged, "pw"))).code).toBe("KEYSTORE_INVALID");
  });
});

describe("encryptKeystore", () => {
  it("default", async () => {
    const keystore = await encryptKeystore(SECRET, "pw", FAST);
    expect(keystore).toMatchObject({
      version: 3,
      address: ADDRESS.slice(2).toLowerCase(),
      crypto: { cipher: "aes-128-ctr", kdf: "scrypt", kdfparams: { dklen: 32, n: 1024, r: 8, p: 1 } },
    });
    expect(JSON.stringify(keystore)).not.toContain(SECRET.slice(2));
    expect(await decryptKeystore(keystore, "pw")).toBe(SECRET);
  });

  it("behavior: reproduces the pbkdf2 test vector from its salt and iv", async () => {
    const keystore = await encryptKeystore(SECRET, "testpassword", {
      kdf: "pbkdf2",
      salt: Buffer.from(PBKDF2_VECTOR.crypto.kdfparams.salt, "hex"),
      iv: Buffer.from(PBKDF2_VECTOR.crypto.cipherparams.iv, "hex"),
      id: PBKDF2_VECTOR.id,
    });
    expect(keystore.crypto).toEqual(PBKDF2_VECTOR.crypto);
  });

  it("error: invalid private key", async () => {
    expect((await keystoreError(encryptKeystore("0x1234", "pw"))).code).toBe("KEYSTORE_INVALID_KEY");
    expect((await keystoreError(encryptKeystore(`0x${"00".repeat(32)}`, "pw"))).code).toBe(
      "KEYSTORE_INVALID_KEY",
    );
  });
});

describe("keystore files", () => {
  it("default", async () => {
    const dir = tempDir();
    const path = join(dir, "keys", "signer.json");
    const { address } = await createKeystore({ path, password: "pw", privateKey: SECRET, ...FAST });
    expect(address.toLowerCase()).toBe(ADDRESS.toLowerCase());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).not.toContain(SECRET.slice(2));
    const { logger, lines } = memoryLogger();
    const account = await loadKeystoreAccount(
      { path, passwordEnv: "OPG_KEYSTORE_PASSWORD", passwordFile: undefined },
      { logger, env: { OPG_KEYSTORE_PASSWORD: "pw" } },
    );
    expect(account.address).toBe(ADDRESS);
    const logged = JSON.stringify(lines());
    expect(logged).toContain(ADDRESS);
    expect(logged).not.toContain(SECRET.slice(2));
    expect(logged).not.toContain('"pw"');
  });

  it("behavior: password from a file wins over env; a group-readable keystore is warned about", async () => {
    const dir = tempDir();
    const path = join(dir, "signer.json");
    await createKeystore({ path, password: "from-file", ...FAST });
    const passwordFile = join(dir, "password.txt");
    writeFileSync(passwordFile, "from-file\n");
    expect(await readPassword({ passwordEnv: "X", passwordFile }, { X: "from-env" })).toBe("from-file");
    const { chmod } = await import("node:fs/promises");
    await chmod(path, 0o644);
    const { logger, lines } = memoryLogger();
    await loadKeystoreAccount({ path, passwordEnv: "X", passwordFile }, { logger, env: {} });
    expect(lines().some((l) => l["level"] === 40 && String(l["msg"]).includes("chmod 600"))).toBe(true);
  });

  it("error: refuses to overwrite, missing file, missing password", async () => {
    const dir = tempDir();
    const path = join(dir, "signer.json");
    await createKeystore({ path, password: "pw", ...FAST });
    expect((await keystoreError(createKeystore({ path, password: "pw", ...FAST }))).code).toBe(
      "KEYSTORE_EXISTS",
    );
    const missing = { path: join(dir, "none.json"), passwordEnv: "P", passwordFile: undefined };
    expect((await keystoreError(loadKeystoreAccount(missing, { env: { P: "pw" } }))).code).toBe(
      "KEYSTORE_NOT_FOUND",
    );
    const noPassword = await keystoreError(
      readPassword({ passwordEnv: "OPG_KEYSTORE_PASSWORD", passwordFile: undefined }, {}),
    );
    expect(noPassword.code).toBe("KEYSTORE_PASSWORD_MISSING");
    expect(noPassword.details).toContain("OPG_KEYSTORE_PASSWORD");
    const wrong = { path, passwordEnv: "P", passwordFile: undefined };
    expect((await keystoreError(loadKeystoreAccount(wrong, { env: { P: "nope" } }))).code).toBe(
      "KEYSTORE_WRONG_PASSWORD",
    );
  });
});
