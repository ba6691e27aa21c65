import { OpgError } from "@opg/protocol";
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  HttpRequestError,
  isHex,
  RpcRequestError,
  SocketClosedError,
  TimeoutError,
  WebSocketRequestError,
} from "viem";
import { ChainError, type ChainErrorCode, ChainRetryableError, RevertedError } from "./ChainError.js";

export type ClassifyOptions = {
  /** ABI used to decode revert data into a named custom error. */
  abi?: Abi | undefined;
};

/** Node error messages (geth, reth, erigon, nethermind, besu, hardhat/EDR, anvil), lower-cased. */
const NODE_MESSAGES: readonly [RegExp, ChainErrorCode][] = [
  [/already known|known transaction|already imported|transaction already exists/, "ALREADY_KNOWN"],
  [
    /replacement (transaction )?underpriced|replacement fee too low|underpriced replacement/,
    "REPLACEMENT_UNDERPRICED",
  ],
  [/nonce too low|nonce has already been used|oldnonce|invalid nonce.*lower/, "NONCE_TOO_LOW"],
  [/nonce too high|nonce gap/, "NONCE_TOO_HIGH"],
  [
    /insufficient funds|doesn't have enough funds|not enough funds|exceeds transaction sender account balance|outoffunds/,
    "INSUFFICIENT_FUNDS",
  ],
  [
    /max fee per gas less than block base fee|fee cap less than block base fee|maxfeepergas.*too low|transaction is outdated|tip higher than fee cap|max priority fee per gas higher than max fee per gas|transaction underpriced/,
    "FEE_TOO_LOW",
  ],
  [/intrinsic gas too (low|high)|exceeds block gas limit|gas limit reached|out of gas/, "GAS_LIMIT"],
  [/execution reverted|reverted|vm exception|invalid opcode/, "REVERTED"],
];

/** Messages of nodes that are behind or briefly inconsistent: retrying helps. */
const LAGGING_NODE = /header not found|missing trie node|unknown block|block not found|not synced|syncing/;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/**
 * Maps any error from viem, the transport or the node to a `ChainError` (non-retryable, bounded
 * code) or a `ChainRetryableError`. The one place where RPC failures are interpreted; an
 * `OpgError` passes through unchanged.
 */
export function classifyError(
  error: unknown,
  options: ClassifyOptions = {},
): ChainError | ChainRetryableError {
  if (error instanceof ChainError || error instanceof ChainRetryableError) return error;
  if (error instanceof OpgError) {
    return error.retryable
      ? new ChainRetryableError("RPC_SERVER_ERROR", error.shortMessage, { cause: error })
      : new ChainError("UNKNOWN", error.shortMessage, { cause: error });
  }
  const chain = causeChain(error);

  if (chain.some(isAbort)) return new ChainError("STOPPED", "The operation was aborted.", { cause: error });

  // 1. Reverts: a decoded contract error, or revert data in an RPC error.
  const reverted = revertFrom(chain, options.abi, error);
  if (reverted) return reverted;

  // 2. Node messages (nonce, funds, fees, gas); texts come from RPC answers, never request bodies.
  const text = chain.map(messageOf).join("\n").toLowerCase();
  for (const [pattern, code] of NODE_MESSAGES) {
    if (!pattern.test(text)) continue;
    if (code === "REVERTED") return new RevertedError({ cause: error, details: firstDetails(chain) });
    return new ChainError(code, shortMessages[code], { cause: error, details: firstDetails(chain) });
  }

  // 3. Transport and JSON-RPC codes.
  for (const e of chain) {
    if (e instanceof TimeoutError)
      return retryable("RPC_TIMEOUT", "The RPC request timed out.", error, chain);
    if (e instanceof SocketClosedError || e instanceof WebSocketRequestError) {
      return retryable("RPC_UNAVAILABLE", "The RPC connection is closed.", error, chain);
    }
    if (e instanceof RpcRequestError || (e instanceof BaseError && typeof codeOf(e) === "number")) {
      const byCode = fromRpcCode(codeOf(e) as number, statusOf(e), text, error, chain);
      if (byCode) return byCode;
    }
    if (e instanceof HttpRequestError) {
      const status = e.status;
      if (status === undefined) return retryable("RPC_UNAVAILABLE", "The RPC is unreachable.", error, chain);
      return fromHttpStatus(status, error, chain);
    }
  }
  for (const e of chain) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) {
      return retryable("RPC_UNAVAILABLE", "The RPC is unreachable.", error, chain);
    }
    if (e instanceof TypeError && /fetch failed|network|socket/i.test(e.message)) {
      return retryable("RPC_UNAVAILABLE", "The RPC is unreachable.", error, chain);
    }
  }
  if (LAGGING_NODE.test(text)) return retryable("RPC_SERVER_ERROR", "The RPC node is lagging.", error, chain);
  return new ChainError("UNKNOWN", firstShortMessage(chain) ?? "Unknown chain error.", {
    cause: error,
    details: firstDetails(chain),
  });
}

/** True when `error` (classified) is worth retrying. */
export function isRetryable(error: unknown): boolean {
  return classifyError(error).retryable;
}

const shortMessages: Record<ChainErrorCode, string> = {
  REVERTED: "Execution reverted.",
  INSUFFICIENT_FUNDS: "The sender has insufficient funds for value and gas.",
  NONCE_TOO_LOW: "The transaction nonce is too low (already used).",
  NONCE_TOO_HIGH: "The transaction nonce is too high (leaves a gap).",
  ALREADY_KNOWN: "The node already knows this transaction.",
  REPLACEMENT_UNDERPRICED: "The replacement transaction is underpriced.",
  FEE_TOO_LOW: "The transaction fees are too low for the current base fee.",
  GAS_LIMIT: "The transaction gas limit is out of range.",
  INVALID_REQUEST: "The RPC rejected the request.",
  RPC_ERROR: "The RPC answered with an error.",
  CHAIN_MISMATCH: "The RPC serves another chain.",
  TX_TIMEOUT: "The transaction was not mined in time.",
  TX_DROPPED: "The transaction was dropped.",
  DEPLOYMENTS_NOT_FOUND: "The deployments file is missing.",
  DEPLOYMENTS_INVALID: "The deployments file is invalid.",
  CHECKPOINT_INVALID: "The checkpoint file is invalid.",
  INVALID_OPTIONS: "Invalid options.",
  NOT_STARTED: "The module is not started.",
  STOPPED: "The module stopped.",
  ABORTED: "The operation was aborted by its caller.",
  UNKNOWN: "Unknown chain error.",
};

function fromRpcCode(
  code: number,
  status: number | undefined,
  text: string,
  error: unknown,
  chain: readonly unknown[],
): ChainError | ChainRetryableError | undefined {
  switch (code) {
    case -32603:
    case -32002:
    case -1:
      return retryable("RPC_SERVER_ERROR", "The RPC failed internally.", error, chain);
    case -32005:
    case -32007:
    case 429:
      return retryable("RATE_LIMITED", "The RPC rate-limited the request.", error, chain);
    case -32700:
    case -32600:
    case -32601:
    case -32602:
    case -32004:
      return new ChainError("INVALID_REQUEST", shortMessages.INVALID_REQUEST, {
        cause: error,
        details: firstDetails(chain),
      });
    default:
      if (LAGGING_NODE.test(text))
        return retryable("RPC_SERVER_ERROR", "The RPC node is lagging.", error, chain);
      if (status !== undefined && status >= 400) return fromHttpStatus(status, error, chain);
      return new ChainError("RPC_ERROR", shortMessages.RPC_ERROR, {
        cause: error,
        details: firstDetails(chain),
      });
  }
}

function fromHttpStatus(
  status: number,
  error: unknown,
  chain: readonly unknown[],
): ChainError | ChainRetryableError {
  if (status === 429)
    return retryable("RATE_LIMITED", "The RPC rate-limited the request (HTTP 429).", error, chain);
  if (status === 408 || status === 504) {
    return retryable("RPC_TIMEOUT", `The RPC timed out (HTTP ${status}).`, error, chain);
  }
  if (status >= 500) return retryable("RPC_SERVER_ERROR", `The RPC failed (HTTP ${status}).`, error, chain);
  return new ChainError("RPC_ERROR", `The RPC refused the request (HTTP ${status}).`, {
    cause: error,
    details: firstDetails(chain),
    meta: { status },
  });
}

function retryable(
  code: ChainRetryableError["code"],
  message: string,
  error: unknown,
  chain: readonly unknown[],
): ChainRetryableError {
  return new ChainRetryableError(code, message, { cause: error, details: firstDetails(chain) });
}

function revertFrom(
  chain: readonly unknown[],
  abi: Abi | undefined,
  error: unknown,
): RevertedError | undefined {
  for (const e of chain) {
    if (e instanceof ContractFunctionRevertedError) {
      const decoded = e.data;
      let args: readonly unknown[] | undefined = decoded?.args;
      let errorName: string | undefined = decoded?.errorName;
      let data = e.raw;
      if (errorName === undefined && data && abi) ({ errorName, args } = decode(abi, data));
      data ??= revertDataIn(chain);
      return new RevertedError({ cause: error, errorName, args, reason: e.reason, data });
    }
  }
  const data = revertDataIn(chain);
  if (data === undefined) return undefined;
  const decoded = decode(abi ?? [], data);
  return new RevertedError({ cause: error, ...decoded, data, details: firstDetails(chain) });
}

/** Revert data: `data` of a JSON-RPC error with code 3, or of an error whose message says it reverted. */
function revertDataIn(chain: readonly unknown[]): Hex | undefined {
  for (const e of chain) {
    const code = codeOf(e);
    const raw = (e as { data?: unknown }).data;
    const data = isHex(raw)
      ? raw
      : isHex((raw as { data?: unknown } | undefined)?.data)
        ? (raw as { data: Hex }).data
        : undefined;
    if (data === undefined || data === "0x") continue;
    if (code === 3 || /revert/i.test(messageOf(e))) return data;
  }
  return undefined;
}

function decode(abi: Abi, data: Hex): Pick<RevertedError, "errorName" | "args" | "reason"> {
  try {
    // decodeErrorResult knows Error(string) and Panic(uint256) without the ABI declaring them.
    const result = decodeErrorResult({ abi, data });
    const args = result.args as readonly unknown[] | undefined;
    const reason =
      result.errorName === "Error" && typeof args?.[0] === "string"
        ? args[0]
        : result.errorName === "Panic"
          ? `panic code ${String(args?.[0])}`
          : undefined;
    return { errorName: result.errorName, args, reason };
  } catch {
    return { errorName: undefined, args: undefined, reason: undefined };
  }
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 16 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || (e as { code?: unknown }).code === "ABORT_ERR");
}

function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

function statusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** The node's own words: viem's `details`/`shortMessage`; a plain error's message. */
function messageOf(e: unknown): string {
  if (e instanceof BaseError) return `${e.shortMessage}\n${e.details ?? ""}`;
  if (e instanceof Error) return e.message;
  return "";
}

function firstDetails(chain: readonly unknown[]): string | undefined {
  for (const e of chain) {
    if (e instanceof BaseError && e.details) return e.details;
  }
  const last = chain[chain.length - 1];
  return last instanceof Error ? last.message : undefined;
}

function firstShortMessage(chain: readonly unknown[]): string | undefined {
  const first = chain[0];
  if (first instanceof BaseError) return first.shortMessage;
  if (first instanceof Error) return first.message;
  return undefined;
}
