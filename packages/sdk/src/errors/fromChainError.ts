import { ChainError, classifyError, opgErrorsAbi, RevertedError } from "@opg/chain";
import { OpgSdkError } from "./OpgSdkError.js";

/**
 * Maps any failure of an RPC call or transaction to an {@link OpgSdkError} with code `CHAIN_ERROR`: the
 * classified `@opg/chain` error is the `cause`; `meta.chainCode` is its bounded code and, for reverts,
 * `meta.errorName` the decoded custom error (e.g. `AlreadyDelivered`). An `OpgSdkError` passes through;
 * an aborted operation becomes `ABORTED`.
 */
export function fromChainError(error: unknown, what: string): OpgSdkError {
  if (error instanceof OpgSdkError) return error;
  const classified = classifyError(error, { abi: opgErrorsAbi });
  if (classified instanceof ChainError && classified.code === "STOPPED") {
    return new OpgSdkError("ABORTED", `${what}: aborted.`, { cause: classified });
  }
  const errorName = classified instanceof RevertedError ? classified.errorName : undefined;
  return new OpgSdkError("CHAIN_ERROR", `${what}: ${classified.shortMessage}`, {
    cause: classified,
    details: classified.details,
    retryable: classified.retryable,
    meta: { chainCode: classified.code, ...(errorName === undefined ? {} : { errorName }) },
  });
}

/** Runs a chain call and maps its failure with {@link fromChainError}. */
export async function onChain<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromChainError(error, what);
  }
}
