import { type Address, getAddress, type Hex, isAddress, isHex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import type { OpgClientOptions } from "./types.js";

/** The client's options, checked, with defaults. */
export type ResolvedOptions = {
  rpcUrl: string;
  hub: Address;
  publisher: Address | undefined;
  execUrl: string | undefined;
  verifyUrls: readonly string[];
  chainId: number | undefined;
  executorTimeoutMs: number;
  verifierTimeoutMs: number;
  rpcTimeoutMs: number;
  pollIntervalMs: number;
  fetch: typeof globalThis.fetch;
};

export function resolveOptions(options: OpgClientOptions): ResolvedOptions {
  const problems: string[] = [];
  if (typeof options.rpcUrl !== "string" || !/^https?:\/\//.test(options.rpcUrl)) {
    problems.push("rpcUrl: an http:// or https:// URL");
  }
  if (typeof options.hub !== "string" || !isAddress(options.hub, { strict: false })) {
    problems.push("hub: the InferenceHub address");
  }
  const verifyUrls =
    options.verifyUrl === undefined
      ? []
      : typeof options.verifyUrl === "string"
        ? [options.verifyUrl]
        : [...options.verifyUrl];
  for (const [key, url] of [
    ["execUrl", options.execUrl],
    ...verifyUrls.map((u) => ["verifyUrl", u] as const),
  ] as const) {
    if (url !== undefined && !/^https?:\/\//.test(url)) problems.push(`${key}: an http:// or https:// URL`);
  }
  if (options.publisher !== undefined && !isAddress(options.publisher, { strict: false })) {
    problems.push("publisher: the address of the model publisher whose listings you trust");
  }
  if (options.chainId !== undefined && (!Number.isSafeInteger(options.chainId) || options.chainId <= 0)) {
    problems.push("chainId: a positive integer");
  }
  for (const key of ["executorTimeoutMs", "verifierTimeoutMs", "rpcTimeoutMs", "pollIntervalMs"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) problems.push(`${key}: a positive number of ms`);
  }
  if (problems.length > 0) {
    throw new OpgSdkError("INVALID_ARGUMENT", "Invalid opg client options.", {
      details: problems.join("; "),
    });
  }
  return {
    rpcUrl: options.rpcUrl,
    hub: getAddress(options.hub),
    publisher: options.publisher === undefined ? undefined : getAddress(options.publisher),
    execUrl: options.execUrl,
    verifyUrls,
    chainId: options.chainId,
    executorTimeoutMs: options.executorTimeoutMs ?? 300_000,
    verifierTimeoutMs: options.verifierTimeoutMs ?? 10_000,
    rpcTimeoutMs: options.rpcTimeoutMs ?? 10_000,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    // Called as `fetch(…)`, never as a method of the options: browsers refuse a fetch invoked on another object.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

export function privateKeyFrom(key: Hex): LocalAccount {
  if (!isHex(key, { strict: true }) || key.length !== 66) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      "account: a LocalAccount or a 32-byte 0x-prefixed private key.",
    );
  }
  return privateKeyToAccount(key);
}
