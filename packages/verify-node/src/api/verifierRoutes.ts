import { HttpError, HttpReply, type HttpServer } from "@opg/daemon";
import {
  type ApiErrorBody,
  decodeResultMessage,
  type ProofMode,
  proofModeName,
  ResultBatchTree,
  type VerifierBatchBody,
  type VerifierResultBody,
} from "@opg/protocol";
import type { Hex } from "viem";
import type { StoredBatch, StoredResult, VerifierStore } from "../store/VerifierStore.js";

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * The verifier's HTTP API:
 * - `GET /v1/results/:requestId`: status (pending | verified | settled | rejected with reason
 *   `{code, message, cause?}`, `cause` being the underlying check's code, e.g. a TEE proof's
 *   PCR_MISMATCH), batch id, root, Merkle proof (`proof`), settlement transaction, the outputs
 *   and the result message's mode-specific proof bytes (`resultProof`: for TEE the TeeProof, with
 *   the enclave's signature over `resultHash`). Outputs gossiped by reference are fetched by hash
 *   from the peers on first ask and kept (bounded); 503 PAYLOAD_UNAVAILABLE while no peer has them.
 * - `GET /v1/batches/:id`: a batch's root, count, members and settlement.
 */
export type VerifierRoutesDeps = {
  /**
   * Fetches a payload by hash from the network (checked against the hash), for results whose
   * outputs were gossiped by reference. Without it such outputs are served only when held here.
   */
  fetchPayload?: ((hash: Hex) => Promise<Uint8Array>) | undefined;
  /** Byte cap of the fetched payloads kept (see `VerifierStore.putPayload`). */
  maxPayloadBytes?: number;
  now?: () => number;
};

export function mountVerifierRoutes(
  http: HttpServer,
  store: VerifierStore,
  deps: VerifierRoutesDeps = {},
): void {
  /** The outputs of a stored result: inline, held, or fetched on demand (then kept). */
  const outputsOf = async (m: { outputs: Uint8Array; outputHash: Hex }): Promise<Uint8Array | undefined> => {
    if (m.outputs.length > 0) return m.outputs;
    const held = store.payload(m.outputHash);
    if (held !== undefined || deps.fetchPayload === undefined) return held;
    try {
      const fetched = await deps.fetchPayload(m.outputHash);
      store.putPayload(
        m.outputHash,
        fetched,
        (deps.now ?? Date.now)(),
        deps.maxPayloadBytes ?? 256 * 1024 * 1024,
      );
      return fetched;
    } catch {
      return undefined;
    }
  };
  // Trees of settled batches whose every member is here (a proof from a partial tree would be wrong).
  const trees = new Map<string, ResultBatchTree>();
  const treeOf = (b: StoredBatch): ResultBatchTree | undefined => {
    const key = `${b.batchId}:${b.root}`;
    let tree = trees.get(key);
    if (!tree) {
      const members = b.resultHashes.map((h) => store.getResult(h));
      if (members.length === 0 || members.some((r) => r === undefined)) return undefined;
      tree = ResultBatchTree.of(members as StoredResult[]);
      if (tree.root !== b.root) return undefined;
      trees.set(key, tree);
      if (trees.size > 64) trees.delete(trees.keys().next().value as string);
    }
    return tree;
  };

  http.route("GET", "/v1/results/:requestId", async (req) => {
    const requestId = req.params["requestId"] ?? "";
    if (!HEX32.test(requestId)) {
      throw new HttpError(400, "BAD_REQUEST_ID", "requestId is a 0x-prefixed 32-byte hex.");
    }
    const id = requestId.toLowerCase() as Hex;
    const results = store.resultsForRequest(id);
    const settled = results.find((r) => r.status === "settled");
    const chosen = settled ?? results[0];
    if (!chosen) {
      const rejections = store.rejectionsForRequest(id);
      if (rejections.length > 0) {
        const last = rejections[rejections.length - 1]!;
        const reason = {
          code: last.code,
          message: last.reason,
          ...(last.cause === undefined ? {} : { cause: last.cause }),
        };
        return { requestId: id, status: "rejected", reason } satisfies VerifierResultBody;
      }
      return HttpReply.json({ requestId: id, status: "pending" } satisfies VerifierResultBody, 404);
    }
    const m = decodeResultMessage(chosen.message);
    const outputs = await outputsOf(m);
    if (outputs === undefined) {
      return HttpReply.json(
        {
          error: {
            code: "PAYLOAD_UNAVAILABLE",
            message: "The outputs travel by reference and no peer served them yet; ask again.",
            retryable: true,
          },
        } satisfies ApiErrorBody,
        503,
      );
    }
    const batch = settled?.batchId === undefined ? undefined : store.getBatch(settled.batchId);
    const tree = batch && treeOf(batch);
    const body: VerifierResultBody = {
      requestId: id,
      status: chosen.status,
      modelId: chosen.modelId,
      inputHash: chosen.inputHash,
      outputHash: chosen.outputHash,
      executor: m.executor,
      // Stored results passed the wire codec, which admits only known modes.
      mode: proofModeName(chosen.mode as ProofMode),
      resultHash: chosen.resultHash,
      outputs: `0x${Buffer.from(outputs).toString("hex")}`,
      resultProof: `0x${Buffer.from(m.proof).toString("hex")}`,
      ...(batch
        ? {
            batchId: batch.batchId.toString(),
            root: batch.root,
            // null while some members of the batch have not reached this verifier yet: ask another one.
            proof: tree?.has(id) ? tree.proof(id) : null,
            settlementTx: batch.settleTx ?? null,
          }
        : {}),
    };
    return body;
  });

  http.route("GET", "/v1/batches/:id", (req) => {
    const raw = req.params["id"] ?? "";
    if (!/^[0-9]{1,19}$/.test(raw)) {
      throw new HttpError(400, "BAD_BATCH_ID", "Batch id is a decimal integer.");
    }
    const batch = store.getBatch(BigInt(raw));
    if (!batch) throw new HttpError(404, "UNKNOWN_BATCH", `No batch ${raw} here.`);
    const body: VerifierBatchBody = {
      batchId: batch.batchId.toString(),
      status: batch.status,
      root: batch.root,
      count: batch.count,
      configDigest: batch.configDigest,
      proposer: batch.proposer,
      settlementTx: batch.settleTx ?? null,
      requestIds: batch.resultHashes.map((h) => store.getResult(h)?.requestId ?? null),
    };
    return body;
  });
}
