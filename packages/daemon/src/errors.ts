import { OpgError, type OpgErrorOptions } from "@opg/protocol";

/** Why a configuration could not be loaded. */
export type ConfigErrorCode =
  | "CONFIG_FILE_NOT_FOUND"
  | "CONFIG_FILE_UNREADABLE"
  | "CONFIG_FILE_INVALID"
  | "CONFIG_INVALID";

/** One problem found while loading configuration; names the key and every way to set it. */
export type ConfigIssue = {
  /** Dotted key, e.g. `p2p.listen`. Empty for problems with the file as a whole. */
  path: string;
  message: string;
  /** Where the offending value came from. */
  source: ConfigSource | undefined;
  /** Environment variable that sets this key, when the key is known. */
  env: string | undefined;
  /** CLI flag that sets this key, when the key is known. */
  flag: string | undefined;
};

export type ConfigSource = "default" | "file" | "env" | "flag";

/** A configuration error; `issues` lists every problem found, not just the first one. */
export class ConfigError extends OpgError<ConfigErrorCode> {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: ConfigErrorCode,
    shortMessage: string,
    options: OpgErrorOptions & { issues?: readonly ConfigIssue[] } = {},
  ) {
    super(code, shortMessage, options);
    this.issues = options.issues ?? [];
  }
}

export type KeystoreErrorCode =
  | "KEYSTORE_NOT_FOUND"
  | "KEYSTORE_EXISTS"
  | "KEYSTORE_INVALID"
  | "KEYSTORE_UNSUPPORTED"
  | "KEYSTORE_WRONG_PASSWORD"
  | "KEYSTORE_PASSWORD_MISSING"
  | "KEYSTORE_INVALID_KEY";

/** A keystore could not be created, read or decrypted. Never carries key material. */
export class KeystoreError extends OpgError<KeystoreErrorCode> {
  override name = "KeystoreError";
}

export type HttpErrorCode =
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "BODY_TOO_LARGE"
  | "BODY_INVALID"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "REQUEST_TIMEOUT"
  | "BAD_REQUEST";

/** An error with an explicit HTTP status; handlers may throw it to answer a precise status. */
export class HttpError<TCode extends string = HttpErrorCode> extends OpgError<TCode> {
  override name = "HttpError";
  readonly status: number;

  constructor(status: number, code: TCode, shortMessage: string, options: OpgErrorOptions = {}) {
    super(code, shortMessage, options);
    this.status = status;
  }
}

export type LifecycleErrorCode = "START_FAILED" | "ALREADY_STARTED" | "DUPLICATE_MODULE";

export class LifecycleError extends OpgError<LifecycleErrorCode> {
  override name = "LifecycleError";
}

export type StoreErrorCode = "SCHEMA_TOO_NEW" | "MIGRATION_FAILED";

/** A durable store that cannot be opened as this release expects. */
export class StoreError extends OpgError<StoreErrorCode> {
  override name = "StoreError";
}
