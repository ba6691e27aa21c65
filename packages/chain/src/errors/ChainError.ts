import { OpgError, type OpgErrorOptions, RetryableError } from "@opg/protocol";
import { formatEther, type Hex } from "viem";

/** Bounded codes of non-retryable chain errors. */
export type ChainErrorCode =
  /** The call or transaction reverted (see {@link RevertedError}). */
  | "REVERTED"
  /** The sender cannot pay value + gas. */
  | "INSUFFICIENT_FUNDS"
  /** The nonce was already used (the sender resyncs and retries before surfacing this). */
  | "NONCE_TOO_LOW"
  /** The nonce leaves a gap (the sender resyncs and retries before surfacing this). */
  | "NONCE_TOO_HIGH"
  /** The node already has this exact transaction (the sender treats it as sent). */
  | "ALREADY_KNOWN"
  /** A replacement did not raise the fees enough. */
  | "REPLACEMENT_UNDERPRICED"
  /** The fee cap is below the block base fee, or the tip above the fee cap. */
  | "FEE_TOO_LOW"
  /** Gas limit too low for the transaction, or above the block gas limit. */
  | "GAS_LIMIT"
  /** The RPC rejected the request as malformed, or does not serve the method. */
  | "INVALID_REQUEST"
  /** Any other error answer of the RPC. */
  | "RPC_ERROR"
  /** The RPC serves another chain than the one configured. */
  | "CHAIN_MISMATCH"
  /** No receipt within the configured time; the transaction may still be mined later. */
  | "TX_TIMEOUT"
  /** The nonce was consumed by a transaction that is none of ours. */
  | "TX_DROPPED"
  /**
   * The caller's signal aborted the send: not broadcast when aborted before, else no longer
   * awaited (the transaction may still be mined).
   */
  | "ABORTED"
  /** A deployments file is missing. */
  | "DEPLOYMENTS_NOT_FOUND"
  /** A deployments file is malformed. */
  | "DEPLOYMENTS_INVALID"
  /** A checkpoint file is malformed. */
  | "CHECKPOINT_INVALID"
  /** Options failed validation. */
  | "INVALID_OPTIONS"
  /** The module is not started. */
  | "NOT_STARTED"
  /** The module stopped (or the operation was aborted) before the operation finished. */
  | "STOPPED"
  /** Anything not recognised. */
  | "UNKNOWN";

/** Bounded codes of retryable chain errors: the RPC is down, slow, overloaded or lagging. */
export type ChainRetryableCode =
  /** Connection refused, reset or closed; DNS failure. */
  | "RPC_UNAVAILABLE"
  /** The request timed out. */
  | "RPC_TIMEOUT"
  /** HTTP 5xx, JSON-RPC -32603 (internal), -32002 (resource unavailable), a lagging node. */
  | "RPC_SERVER_ERROR"
  /** HTTP 429, JSON-RPC -32005 (limit exceeded). */
  | "RATE_LIMITED";

/** A non-retryable chain failure. */
export class ChainError<TCode extends ChainErrorCode = ChainErrorCode> extends OpgError<TCode> {
  override name = "ChainError";
}

/** A transient chain failure: the same call may succeed later. */
export class ChainRetryableError extends RetryableError<ChainRetryableCode> {
  override name = "ChainRetryableError";
}

export type RevertedErrorOptions = OpgErrorOptions & {
  /** Name of the decoded custom error (`Error` for `require` messages, `Panic` for panics). */
  errorName?: string | undefined;
  /** Decoded arguments of the custom error. */
  args?: readonly unknown[] | undefined;
  /** The `require`/`revert` message, or the panic description. */
  reason?: string | undefined;
  /** Raw revert data. */
  data?: Hex | undefined;
};

/** A call or transaction reverted; carries the decoded custom error when the ABI knows it. */
export class RevertedError extends ChainError<"REVERTED"> {
  override name = "RevertedError";
  readonly errorName: string | undefined;
  readonly args: readonly unknown[] | undefined;
  readonly reason: string | undefined;
  readonly data: Hex | undefined;

  constructor(options: RevertedErrorOptions = {}) {
    const { errorName, args, reason, data, ...rest } = options;
    super("REVERTED", revertMessage(errorName, args, reason, data), {
      ...rest,
      meta: { ...rest.meta, errorName, reason, data },
    });
    this.errorName = errorName;
    this.args = args;
    this.reason = reason;
    this.data = data;
  }
}

/** Arguments (by position) of the contracts' errors that are amounts in wei: shown in ETH. */
const WEI_ARGS: Record<string, readonly number[]> = {
  InsufficientStake: [0, 1],
  FeeTooLow: [0, 1],
  FeeTooHigh: [0],
  PriceTooHigh: [0],
  TransferFailed: [1],
};

function revertMessage(
  errorName: string | undefined,
  args: readonly unknown[] | undefined,
  reason: string | undefined,
  data: Hex | undefined,
): string {
  if (reason !== undefined && (errorName === undefined || errorName === "Error" || errorName === "Panic")) {
    return `Execution reverted: ${reason}`;
  }
  if (errorName !== undefined) {
    const wei = WEI_ARGS[errorName] ?? [];
    const rendered = (args ?? []).map((a, i) =>
      typeof a === "bigint"
        ? wei.includes(i)
          ? `${formatEther(a)} ETH`
          : a.toString()
        : JSON.stringify(a, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    );
    return `Execution reverted with ${errorName}(${rendered.join(", ")})`;
  }
  if (data !== undefined && data !== "0x")
    return `Execution reverted with unknown error data ${data.slice(0, 10)}`;
  return "Execution reverted";
}
