import { OpgClient } from "./client/OpgClient.js";
import type { OpgClientOptions } from "./client/types.js";

/**
 * Creates an opg client for one hub:
 *
 * ```ts
 * const opg = createOpgClient({ rpcUrl, hub, execUrl, verifyUrl, account: privateKey });
 * const { requestId, outputs } = await opg.requestDirect({ modelId, inputs });
 * await opg.waitForSettlement(requestId);
 * const { verified } = await opg.verifyResult(requestId);
 * ```
 *
 * Options are validated here (`INVALID_ARGUMENT`); nothing is fetched until the first call.
 */
export function createOpgClient(options: OpgClientOptions): OpgClient {
  return new OpgClient(options);
}
