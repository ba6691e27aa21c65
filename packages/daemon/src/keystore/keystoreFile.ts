import { constants } from "node:fs";
import { chmod, mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import type { Hex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { KeystoreError } from "../errors.js";
import {
  decryptKeystore,
  type EncryptKeystoreOptions,
  encryptKeystore,
  type KeystoreV3,
  parseKeystore,
} from "./keystoreV3.js";

export type KeystoreOptions = {
  /** Path of the V3 keystore JSON file. */
  path: string;
  /** Environment variable holding the password. */
  passwordEnv: string;
  /** File holding the password (one line); takes precedence over the env variable. */
  passwordFile: string | undefined;
};

export const defaultKeystoreOptions: KeystoreOptions = {
  path: "keystore.json",
  passwordEnv: "OPG_KEYSTORE_PASSWORD",
  passwordFile: undefined,
};

export type PasswordSource = Pick<KeystoreOptions, "passwordEnv" | "passwordFile">;

/** Reads the keystore password from `passwordFile` (trailing newline removed) or `passwordEnv`. */
export async function readPassword(
  source: PasswordSource,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  if (source.passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(source.passwordFile, "utf8");
    } catch (error) {
      throw new KeystoreError(
        "KEYSTORE_PASSWORD_MISSING",
        `Password file cannot be read: ${source.passwordFile}`,
        {
          cause: error,
        },
      );
    }
    const password = text.replace(/\r?\n$/, "");
    if (password === "") {
      throw new KeystoreError("KEYSTORE_PASSWORD_MISSING", `Password file is empty: ${source.passwordFile}`);
    }
    return password;
  }
  const password = env[source.passwordEnv];
  if (password === undefined || password === "") {
    throw new KeystoreError("KEYSTORE_PASSWORD_MISSING", "No keystore password given", {
      details: `Set ${source.passwordEnv} or point the password file option at a file holding it.`,
    });
  }
  return password;
}

/** Reads and checks a keystore file; `insecureMode` is true when group or others may read it. */
export async function readKeystoreFile(
  path: string,
): Promise<{ keystore: KeystoreV3; insecureMode: boolean }> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mode)]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeystoreError(
      code === "ENOENT" ? "KEYSTORE_NOT_FOUND" : "KEYSTORE_INVALID",
      code === "ENOENT" ? `Keystore not found: ${path}` : `Keystore cannot be read: ${path}`,
      {
        cause: error,
        details: code === "ENOENT" ? "Create one with the CLI's key creation command." : undefined,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeystoreError("KEYSTORE_INVALID", `Keystore is not valid JSON: ${path}`);
  }
  return { keystore: parseKeystore(json), insecureMode: (mode & 0o077) !== 0 };
}

/**
 * Writes a keystore with mode 0600 (directory 0700 when created), atomically, refusing to
 * overwrite an existing file unless `overwrite` is set.
 */
export async function writeKeystoreFile(
  path: string,
  keystore: KeystoreV3,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (!options.overwrite) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new KeystoreError("KEYSTORE_EXISTS", `Keystore already exists: ${path}`);
  }
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(keystore, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, path);
}

/**
 * Creates an encrypted keystore file for `privateKey` (a fresh random key by default) and returns
 * its address. The plaintext key is never written or logged.
 */
export async function createKeystore(
  options: { path: string; password: string; privateKey?: Hex; overwrite?: boolean } & EncryptKeystoreOptions,
): Promise<{ address: Hex }> {
  const { path, password, privateKey, overwrite, ...encryptOptions } = options;
  if (password === "")
    throw new KeystoreError(
      "KEYSTORE_PASSWORD_MISSING",
      "Refusing to create a keystore with an empty password",
    );
  const keystore = await encryptKeystore(privateKey ?? generatePrivateKey(), password, encryptOptions);
  await writeKeystoreFile(path, keystore, overwrite === undefined ? {} : { overwrite });
  return { address: `0x${keystore.address}` as Hex };
}

/**
 * Loads the daemon's signing account: password from file or env, keystore decrypted, address
 * logged (never the key). Warns when the file is readable by group or others.
 */
export async function loadKeystoreAccount(
  options: KeystoreOptions,
  deps: { logger?: Logger | undefined; env?: Readonly<Record<string, string | undefined>> | undefined } = {},
): Promise<PrivateKeyAccount> {
  const password = await readPassword(options, deps.env);
  const { keystore, insecureMode } = await readKeystoreFile(options.path);
  const logger = deps.logger?.child({ module: "keystore" });
  if (insecureMode)
    logger?.warn({ path: options.path }, "keystore file is readable by group or others; chmod 600 it");
  const account = privateKeyToAccount(await decryptKeystore(keystore, password));
  logger?.info({ address: account.address }, "signing key loaded");
  return account;
}
