import { inferenceHubAbi } from "@opg/chain";
import type { Hex } from "viem";
import type { Explorer } from "./context.js";

export type ResultRow = {
  requestId: Hex;
  resultHash?: Hex;
  modelId?: Hex;
  mode?: string;
  executor?: Hex;
  status: "pending" | "verified" | "settled" | "delivered" | "rejected";
  batchId?: string | null;
  via: "on chain" | "direct" | "this page";
  sentAt?: number;
  receivedAt?: number;
  /** When the batch holding it was signed (verifier clock, like receivedAt). */
  batchedAt?: number;
  /** Block time of the settlement transaction (chain clock). */
  settledAt?: number;
  reason?: string;
};

export type BatchRow = {
  batchId: string;
  status: string;
  root: Hex;
  count: number;
  configDigest: Hex;
  proposer: Hex;
  settlementTx: Hex | null;
  createdAt: number;
  signatures: { verifier: Hex; signature: Hex }[];
  settledAt?: number;
};

type ResultsAnswer = {
  results: {
    requestId: Hex;
    resultHash: Hex;
    modelId: Hex;
    mode: string;
    executor: Hex;
    status: "verified" | "settled";
    batchId: string | null;
    receivedAt: number;
  }[];
  rejections: { requestId: Hex; resultHash: Hex; code: string; reason: string; at: number }[];
};

const blockTimes = new Map<string, number>();

/** When a settlement transaction was mined (its block's timestamp), read from the chain once. */
async function minedAt(explorer: Explorer, tx: Hex): Promise<number | undefined> {
  const known = blockTimes.get(tx);
  if (known !== undefined) return known;
  try {
    const receipt = await explorer.chain.getTransactionReceipt({ hash: tx });
    const block = await explorer.chain.getBlock({ blockNumber: receipt.blockNumber });
    const at = Number(block.timestamp) * 1000;
    blockTimes.set(tx, at);
    return at;
  } catch {
    return undefined;
  }
}

/** Batches from every verifier, merged by id (a settled answer wins), newest first. */
export async function loadBatches(explorer: Explorer): Promise<BatchRow[]> {
  const answers = await explorer.fromVerifiers<{ batches: BatchRow[] }>("/v1/batches?limit=20");
  const byId = new Map<string, BatchRow>();
  for (const a of answers) {
    for (const b of a.batches ?? []) {
      const prev = byId.get(b.batchId);
      if (!prev) byId.set(b.batchId, { ...b, signatures: [...b.signatures] });
      else {
        if (prev.status !== "settled" && b.status === "settled")
          Object.assign(prev, { ...b, signatures: prev.signatures });
        for (const s of b.signatures)
          if (!prev.signatures.some((p) => p.verifier === s.verifier && p.signature === s.signature))
            prev.signatures.push(s);
      }
    }
  }
  const rows = [...byId.values()].sort((a, b) => Number(BigInt(b.batchId) - BigInt(a.batchId)));
  await Promise.all(
    rows.map(async (r) => {
      if (r.settlementTx) {
        const at = await minedAt(explorer, r.settlementTx);
        if (at !== undefined) r.settledAt = at;
      }
    }),
  );
  return rows;
}

/**
 * Requests and results: on-chain requests (InferenceRequested), requests sent from this page, and
 * what the verifiers report (verified, settled, rejected); delivered ones from ResultDelivered.
 */
export async function loadResults(explorer: Explorer, batches: BatchRow[]): Promise<ResultRow[]> {
  const rows = new Map<string, ResultRow>();
  const row = (id: Hex): ResultRow => {
    const key = id.toLowerCase();
    let r = rows.get(key);
    if (!r) {
      r = { requestId: key as Hex, status: "pending", via: "direct" };
      rows.set(key, r);
    }
    return r;
  };
  const [requested, delivered] = await Promise.all([
    explorer.chain
      .getContractEvents({
        address: explorer.config.hub,
        abi: inferenceHubAbi,
        eventName: "InferenceRequested",
        fromBlock: 0n,
      })
      .catch(() => []),
    explorer.chain
      .getContractEvents({
        address: explorer.config.hub,
        abi: inferenceHubAbi,
        eventName: "ResultDelivered",
        fromBlock: 0n,
      })
      .catch(() => []),
  ]);
  for (const e of requested.slice(-50)) {
    const args = e.args as { requestId?: Hex; modelId?: Hex };
    if (!args.requestId) continue;
    const r = row(args.requestId);
    r.via = "on chain";
    if (args.modelId) r.modelId = args.modelId;
  }
  for (const [id, s] of explorer.sent) {
    const r = row(id);
    r.via = "this page";
    r.sentAt = s.at;
  }
  const answers = await explorer.fromVerifiers<ResultsAnswer>("/v1/results?limit=50");
  for (const a of answers) {
    for (const rej of a.rejections ?? []) {
      const r = row(rej.requestId);
      if (r.status === "pending") {
        r.status = "rejected";
        r.reason = `${rej.code}: ${rej.reason}`;
        r.resultHash = rej.resultHash;
      }
    }
    for (const res of a.results ?? []) {
      const r = row(res.requestId);
      const better =
        r.status === "pending" ||
        r.status === "rejected" ||
        (r.status === "verified" && res.status === "settled");
      if (better) {
        Object.assign(r, {
          resultHash: res.resultHash,
          modelId: res.modelId,
          mode: res.mode,
          executor: res.executor,
          status: res.status,
          batchId: res.batchId,
        });
        delete r.reason;
      }
      r.receivedAt = Math.min(r.receivedAt ?? Number.POSITIVE_INFINITY, res.receivedAt);
    }
  }
  const batchById = new Map(batches.map((b) => [b.batchId, b]));
  for (const r of rows.values()) {
    const b = r.batchId ? batchById.get(r.batchId) : undefined;
    if (b?.settledAt !== undefined) r.settledAt = b.settledAt;
    if (b) r.batchedAt = b.createdAt;
  }
  for (const e of delivered) {
    const args = e.args as { requestId?: Hex };
    if (args.requestId) {
      const r = row(args.requestId);
      r.status = "delivered";
    }
  }
  return [...rows.values()]
    .sort((a, b) => (b.sentAt ?? b.receivedAt ?? 0) - (a.sentAt ?? a.receivedAt ?? 0))
    .slice(0, 60);
}
