import { ChainRetryableError, RevertedError } from "@opg/chain";
import { ConfigError } from "@opg/daemon";
import { OpgError } from "@opg/protocol";

/** What an error message may name: the RPC the command talked to. */
export type CliContext = { rpcUrl?: string | undefined };

/** Errors of the operating system an operator fixes (a file, a port, a permission): never a stack trace. */
const OPERATOR_ERRNO = new Set([
  "ENOENT",
  "EACCES",
  "EPERM",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "EISDIR",
  "ENOTDIR",
]);

/**
 * Runs a CLI action: an operator error (OpgError, ConfigError, a missing file, a taken port…)
 * becomes one `error: …` line naming the fix, and exit code 1. Stack traces are printed only
 * with `OPG_LOG_LEVEL=debug` (or trace), and only for errors that are not the operator's.
 */
export async function runCliAction(action: () => Promise<void>, context: CliContext = {}): Promise<void> {
  try {
    await action();
  } catch (err) {
    process.stderr.write(`error: ${cliMessage(err, context)}\n`);
    const level = process.env["OPG_LOG_LEVEL"];
    if (!isOperatorError(err) && (level === "debug" || level === "trace")) {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    } else if (!isOperatorError(err)) {
      process.stderr.write("(OPG_LOG_LEVEL=debug prints the stack trace)\n");
    }
    process.exitCode = 1;
  }
}

function isOperatorError(err: unknown): boolean {
  if (err instanceof OpgError || err instanceof ConfigError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && OPERATOR_ERRNO.has(code);
}

/** One message for any error, naming what it is about and how to fix it. */
export function cliMessage(err: unknown, context: CliContext = {}): string {
  const unreachable = findCause(err, (e) => e instanceof ChainRetryableError) as
    | ChainRetryableError
    | undefined;
  if (unreachable && context.rpcUrl !== undefined) {
    return `No chain answers at ${context.rpcUrl} (${unreachable.shortMessage}): start it, or set chain.rpcUrl (--chain.rpc-url, OPG_CHAIN_RPC_URL).`;
  }
  if (err instanceof RevertedError) {
    const hint = revertHints[err.errorName ?? ""];
    return hint ? `${err.shortMessage}: ${hint}` : err.shortMessage;
  }
  if (err instanceof OpgError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "ENOENT") return `${message}: check the path.`;
  if (code === "EACCES" || code === "EPERM") return `${message}: check the file's owner and mode.`;
  return message;
}

/** The fix for the reverts operators meet first. */
const revertHints: Record<string, string> = {
  InsufficientStake: "stake at least the registry's minimum (--stake <ETH>)",
  AlreadyRegistered: "this owner is already registered; nothing to do",
  SignerAlreadyBound: "this signing key is already bound to an operator",
  NotAnActiveVerifier:
    "every signer of the verifier set must be a registered verifier with the minimum stake",
  InvalidVerifierConfig:
    "a set of n verifiers tolerates f faults when n ≥ 3f + 1 (and f + 1 signatures settle)",
  OwnableUnauthorizedAccount: "only the network owner (the registry's owner) can do this: use its key",
  NotModelOwner: "only the model's owner can change it",
  ModelAlreadyRegistered: "the model is already registered",
  FeeTooLow: "pay at least the model's price",
  NotNetworkOwner: "only the network owner (the registry's owner) can do this: use its key",
  VerifierFeeTooHigh: "the verifier fee share is at most 5000 basis points (50 %)",
  EnforcedPause:
    "the InferenceHub is paused by the network owner: no new requests or settlement until `opg-admin unpause` (delivery, refunds and withdrawals stay open)",
};

function findCause(err: unknown, match: (e: unknown) => boolean): unknown {
  for (
    let e = err, i = 0;
    e !== undefined && e !== null && i < 8;
    e = (e as { cause?: unknown }).cause, i++
  ) {
    if (match(e)) return e;
  }
  return undefined;
}
