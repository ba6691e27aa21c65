import { HttpError, type HttpServer } from "@opg/daemon";
import { type BatchListBody, type ProofMode, proofModeName, type ResultListBody } from "@opg/protocol";
import type { ZkArtifactStore } from "@opg/zk";
import type { Hex } from "viem";
import type { VerifierStore } from "../store/VerifierStore.js";

/** Most items one list answer holds. */
export const MAX_LIST_ITEMS = 200;

function limitOf(query: URLSearchParams, fallback: number): number {
  const raw = query.get("limit");
  if (raw === null) return fallback;
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIST_ITEMS) {
    throw new HttpError(400, "BAD_LIMIT", `limit is an integer from 1 to ${MAX_LIST_ITEMS}.`);
  }
  return Number(raw);
}

/**
 * The verifier's read API for explorers (public, bounded, read-only):
 * - `GET /v1/results?limit=N`: the latest results this verifier verified (status verified or
 *   settled, with batch) and the latest it rejected (code and reason), newest first;
 * - `GET /v1/batches?limit=N`: the latest batches it signed: root, size, proposer, settlement
 *   transaction and the verifier signatures it collected over that root;
 * - `GET /v1/zk/:modelId`: the verifying artifacts it checks that model's proofs with (manifest,
 *   spec, verification key), so that a browser can check a proof itself.
 */
export function mountExplorerRoutes(
  http: HttpServer,
  deps: { store: VerifierStore; zkArtifacts?: ZkArtifactStore | undefined },
): void {
  const { store } = deps;
  http.route("GET", "/v1/results", (req) => {
    const limit = limitOf(req.query, 50);
    const body: ResultListBody = {
      results: store.recentResults(limit).map((r) => ({
        requestId: r.requestId,
        resultHash: r.resultHash,
        modelId: r.modelId,
        // Stored results passed the wire codec, which admits only known modes.
        mode: proofModeName(r.mode as ProofMode),
        executor: r.executor,
        status: r.status,
        batchId: r.batchId === undefined ? null : r.batchId.toString(),
        receivedAt: r.receivedAt,
      })),
      rejections: store.recentRejections(limit).map((r) => ({
        requestId: r.requestId,
        resultHash: r.resultHash,
        code: r.code,
        reason: r.reason,
        ...(r.cause === undefined ? {} : { cause: r.cause }),
        at: r.at,
      })),
    };
    return body;
  });

  http.route("GET", "/v1/batches", (req) => {
    const limit = limitOf(req.query, 20);
    const body: BatchListBody = {
      batches: store.recentBatches(limit).map((b) => ({
        batchId: b.batchId.toString(),
        status: b.status,
        root: b.root,
        count: b.count,
        configDigest: b.configDigest,
        proposer: b.proposer,
        settlementTx: b.settleTx ?? null,
        createdAt: b.createdAt,
        signatures: store
          .signaturesFor(b.batchId, b.root, b.configDigest)
          .map((s) => ({ verifier: s.verifier, signature: s.signature })),
      })),
    };
    return body;
  });

  http.route("GET", "/v1/zk/:modelId", async (req) => {
    const modelId = req.params["modelId"] ?? "";
    if (!/^0x[0-9a-fA-F]{64}$/.test(modelId)) {
      throw new HttpError(400, "BAD_MODEL_ID", "modelId is a 0x-prefixed 32-byte hex.");
    }
    const artifacts = await deps.zkArtifacts?.getVerifying(modelId.toLowerCase() as Hex);
    if (!artifacts) throw new HttpError(404, "UNKNOWN_MODEL", `No ZK artifacts for ${modelId} here.`);
    return { manifest: artifacts.manifest, spec: artifacts.spec, vkey: artifacts.vkey };
  });
}
