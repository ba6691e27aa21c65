import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { migrateSchema } from "@opg/daemon";
import { decodeResultMessage } from "@opg/protocol";
import type { Address, Hex } from "viem";
import { MIGRATIONS, SCHEMA } from "./schema.js";

/** A verified result as stored (the whole wire message is kept: outputs, proof, signature). */
export type StoredResult = {
  resultHash: Hex;
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
  mode: number;
  message: Uint8Array;
  status: "verified" | "settled";
  batchId: bigint | undefined;
  receivedAt: number;
};

export type StoredRejection = {
  requestId: Hex;
  resultHash: Hex;
  code: string;
  reason: string;
  at: number;
  /** The code of the underlying error, when there is one (e.g. a TEE proof's PCR_MISMATCH). */
  cause?: string | undefined;
};

export type StoredBatch = {
  batchId: bigint;
  configDigest: Hex;
  root: Hex;
  count: number;
  resultHashes: Hex[];
  proposer: Address;
  /** `signed`: we signed this root; `settled`: the hub holds it. */
  status: "signed" | "settled";
  settleTx: Hex | undefined;
  createdAt: number;
};

export type StoredSignature = {
  batchId: bigint;
  root: Hex;
  configDigest: Hex;
  count: number;
  verifier: Address;
  signature: Hex;
};

export type StoredEquivocation = {
  kind: "executor" | "verifier";
  key: string;
  offender: Address;
  evidence: Uint8Array;
  /** `pending` until the challenge transaction lands (`done`) or is refused for good (`failed`). */
  status: "pending" | "done" | "failed";
  tx: Hex | undefined;
};

type Row = Record<string, unknown>;

/** The outputs a stored wire message carries inline (undefined when by reference). */
function inlineOutputs(message: Uint8Array): Uint8Array | undefined {
  const outputs = decodeResultMessage(new Uint8Array(message)).outputs;
  return outputs.length > 0 ? outputs : undefined;
}

function packHashes(hashes: readonly Hex[]): Buffer {
  return Buffer.concat(hashes.map((h) => Buffer.from(h.slice(2), "hex")));
}

const hex = (v: unknown) => v as Hex;

/** A stored result without its message: what batching needs. */
export type PendingResult = Omit<StoredResult, "message">;

const HEADER_COLUMNS =
  "result_hash, request_id, model_id, input_hash, output_hash, executor, mode, status, batch_id, received_at";

function headerFromRow(r: Row): PendingResult {
  const { message: _message, ...header } = resultFromRow({ ...r, message: new Uint8Array(0) });
  return header;
}

function resultFromRow(r: Row): StoredResult {
  return {
    resultHash: hex(r["result_hash"]),
    requestId: hex(r["request_id"]),
    modelId: hex(r["model_id"]),
    inputHash: hex(r["input_hash"]),
    outputHash: hex(r["output_hash"]),
    executor: r["executor"] as Address,
    mode: Number(r["mode"]),
    message: new Uint8Array(r["message"] as Uint8Array),
    status: r["status"] as StoredResult["status"],
    batchId: r["batch_id"] === null ? undefined : BigInt(r["batch_id"] as number),
    receivedAt: Number(r["received_at"]),
  };
}

function signatureFromRow(r: Row): StoredSignature {
  return {
    batchId: BigInt(r["batch_id"] as number),
    root: hex(r["root"]),
    configDigest: hex(r["config_digest"]),
    count: Number(r["count"]),
    verifier: r["verifier"] as Address,
    signature: hex(r["signature"]),
  };
}

function batchFromRow(r: Row): StoredBatch {
  const hashes = r["result_hashes"] as Uint8Array;
  const resultHashes: Hex[] = [];
  for (let i = 0; i < hashes.length; i += 32) {
    resultHashes.push(`0x${Buffer.from(hashes.subarray(i, i + 32)).toString("hex")}`);
  }
  return {
    batchId: BigInt(r["batch_id"] as number),
    configDigest: hex(r["config_digest"]),
    root: hex(r["root"]),
    count: Number(r["count"]),
    resultHashes,
    proposer: r["proposer"] as Address,
    status: r["status"] as StoredBatch["status"],
    settleTx: (r["settle_tx"] as Hex | null) ?? undefined,
    createdAt: Number(r["created_at"]),
  };
}

/**
 * The verifier's durable state in one SQLite file (node:sqlite, WAL). Every write is one
 * statement or one transaction, so a crash (kill -9) at any point leaves a consistent state
 * that the node resumes from.
 *
 * Group commit: the results verified in one turn of the event loop are inserted in one
 * transaction, committed before the loop waits again (`setImmediate`) and before any other write,
 * so every other write (proposals, signatures, batches, requests) is durable on its own as
 * before and never precedes the results it read. A crash can lose only the results verified in
 * the turn it struck: executors publish open results again, so they return. One commit per turn
 * instead of per result halves the store's share of a verified result under load.
 */
/**
 * Verified results (`r`) not yet settled whose request has no settled result, the first per
 * request. The per-request subqueries are pinned to the request index (see pendingResults).
 */
const PENDING = `status = 'verified'
  AND NOT EXISTS (SELECT 1 FROM results s INDEXED BY results_by_request WHERE s.request_id = r.request_id AND s.status = 'settled')
  AND r.result_hash = (SELECT result_hash FROM results f INDEXED BY results_by_request WHERE f.request_id = r.request_id AND f.status = 'verified' ORDER BY received_at, result_hash LIMIT 1)`;

/** A batch id's sequence number: its low 40 bits (batching/batchIds.ts). */
const SEQUENCE_MASK = (1n << 40n) - 1n;

/** What one batch_signatures row holds, in bytes (the byte cap's measure). */
const SIGNATURE_ROW_BYTES =
  "length(root) + length(config_digest) + length(verifier) + length(signature) + 24";

export class VerifierStore {
  readonly db: DatabaseSync;
  private readonly stmts: Record<string, { statement: StatementSync; write: boolean }> = {};
  /** A transaction of result inserts is open, to be committed at the end of this turn. */
  private groupOpen = false;
  /** insertResult's own statements run inside the group (any other write commits it first). */
  private inGroup = false;
  /** Told when a group's commit fails (its results are lost until published again). */
  onGroupCommitError: ((err: unknown) => void) | undefined;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    // auto_vacuum takes effect on a new file only (before the first table): pruned pages are then
    // returned to the file system by `incremental_vacuum` after each prune, so the file shrinks.
    this.db.exec("PRAGMA auto_vacuum = INCREMENTAL;");
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    migrateSchema(this.db, `the verifier store ${path}`, SCHEMA, MIGRATIONS);
  }

  close(): void {
    this.commitGroup();
    if (this.db.isOpen) this.db.close();
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts[sql];
    if (!s) {
      s = { statement: this.db.prepare(sql), write: !/^\s*SELECT\b/i.test(sql) };
      this.stmts[sql] = s;
    }
    if (s.write && this.groupOpen && !this.inGroup) this.commitGroup();
    return s.statement;
  }

  /** Commits the open group of result inserts now (no-op when none is open). */
  commitGroup(): void {
    if (!this.groupOpen) return;
    this.groupOpen = false;
    if (!this.db.isOpen) return;
    try {
      this.db.exec("COMMIT");
    } catch (err) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      if (this.onGroupCommitError === undefined) throw err;
      this.onGroupCommitError(err);
    }
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    this.commitGroup();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  // ── results ────────────────────────────────────────────────────────────────────────────

  /** Stores a verified result; false when it was already there. */
  insertResult(r: Omit<StoredResult, "status" | "batchId">): boolean {
    if (!this.groupOpen) {
      this.db.exec("BEGIN");
      this.groupOpen = true;
      setImmediate(() => this.commitGroup());
    }
    this.inGroup = true;
    try {
      return this.insertResultRow(r);
    } finally {
      this.inGroup = false;
    }
  }

  private insertResultRow(r: Omit<StoredResult, "status" | "batchId">): boolean {
    // One statement: a result that was settled while we missed it is stored as settled, with the
    // batch its membership names.
    const res = this.stmt(
      `INSERT OR IGNORE INTO results (result_hash, request_id, model_id, input_hash, output_hash, executor, mode, message, status, batch_id, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
         coalesce((SELECT 'settled' FROM batch_members WHERE result_hash = ?1), 'verified'),
         (SELECT batch_id FROM batch_members WHERE result_hash = ?1), ?9)`,
    ).run(
      r.resultHash,
      r.requestId,
      r.modelId,
      r.inputHash,
      r.outputHash,
      r.executor.toLowerCase(),
      r.mode,
      r.message,
      r.receivedAt,
    );
    return Number(res.changes) > 0;
  }

  /**
   * Whether this result was verified here: stored, or settled and since dropped by retention
   * (the duplicate check: a replay of either costs no signature recovery).
   */
  knowsResult(resultHash: Hex): boolean {
    // One statement (the verifier's hot path asks this for every result it receives).
    return (
      this.stmt(
        `SELECT 1 WHERE EXISTS (SELECT 1 FROM results WHERE result_hash = ?1)
           OR EXISTS (SELECT 1 FROM batch_members WHERE result_hash = ?1 AND pruned = 1)`,
      ).get(resultHash) !== undefined
    );
  }

  hasResult(resultHash: Hex): boolean {
    return this.stmt("SELECT 1 FROM results WHERE result_hash = ?").get(resultHash) !== undefined;
  }

  getResult(resultHash: Hex): StoredResult | undefined {
    const row = this.stmt("SELECT * FROM results WHERE result_hash = ?").get(resultHash) as Row | undefined;
    return row ? resultFromRow(row) : undefined;
  }

  /** A stored result's header columns (never its message): what checking a proposal reads. */
  resultHeader(resultHash: Hex): PendingResult | undefined {
    const row = this.stmt(`SELECT ${HEADER_COLUMNS} FROM results WHERE result_hash = ?`).get(resultHash) as
      | Row
      | undefined;
    return row ? headerFromRow(row) : undefined;
  }

  /** A stored result's message as it was gossiped: what the result protocol serves to peers. */
  resultMessage(resultHash: Hex): Uint8Array | undefined {
    const row = this.stmt("SELECT message FROM results WHERE result_hash = ?").get(resultHash) as
      | Row
      | undefined;
    return row ? new Uint8Array(row["message"] as Uint8Array) : undefined;
  }

  resultsForRequest(requestId: Hex): StoredResult[] {
    return (
      this.stmt("SELECT * FROM results WHERE request_id = ? ORDER BY received_at").all(requestId) as Row[]
    ).map(resultFromRow);
  }

  /** The result an executor already gave for a request, if any (for equivocation checks). */
  resultOfExecutor(requestId: Hex, executor: Address): StoredResult | undefined {
    const row = this.stmt(
      "SELECT * FROM results INDEXED BY results_by_request WHERE request_id = ? AND executor = ? LIMIT 1",
    ).get(requestId, executor.toLowerCase()) as Row | undefined;
    return row ? resultFromRow(row) : undefined;
  }

  /**
   * The output hash an executor already gave for a request, if any: the equivocation check of
   * every verified result, which reads the stored message only when the two differ.
   */
  outputHashOfExecutor(requestId: Hex, executor: Address): Hex | undefined {
    const row = this.stmt(
      "SELECT output_hash FROM results INDEXED BY results_by_request WHERE request_id = ? AND executor = ? LIMIT 1",
    ).get(requestId, executor.toLowerCase()) as Row | undefined;
    return row ? hex(row["output_hash"]) : undefined;
  }

  /**
   * Verified results not yet settled whose request has no settled result, oldest first, one per
   * request: what a leader puts in the next batch. Only the header columns are read (never the
   * stored message, whose outputs may be up to 1 MiB). The per-request subqueries are pinned to
   * the request index: left to itself (no ANALYZE statistics) SQLite walks `results_by_status`
   * for each row instead, quadratic in the pending results (2.6 s for 3,000, every tick).
   */
  pendingResults(limit: number): PendingResult[] {
    return (
      this.stmt(
        `SELECT ${HEADER_COLUMNS} FROM results r WHERE ${PENDING} ORDER BY received_at, result_hash LIMIT ?`,
      ).all(limit) as Row[]
    ).map(headerFromRow);
  }

  /**
   * How many results `pendingResults(limit)` would return and the oldest one's arrival, counted
   * in SQLite: what the batch coordinator asks every tick, without building the rows.
   */
  pendingSummary(limit: number): { count: number; oldestAt: number | undefined } {
    const r = this.stmt(
      `SELECT COUNT(*) AS n, MIN(received_at) AS t FROM (SELECT received_at FROM results r WHERE ${PENDING} LIMIT ?)`,
    ).get(limit) as Row;
    return { count: Number(r["n"]), oldestAt: r["t"] === null ? undefined : Number(r["t"]) };
  }

  /** Whether any result is pending (`pendingSummary(n).count > 0`), without counting them. */
  hasPending(): boolean {
    return this.stmt(`SELECT 1 FROM results r WHERE ${PENDING} LIMIT 1`).get() !== undefined;
  }

  isRequestSettled(requestId: Hex): boolean {
    return (
      this.stmt(
        "SELECT 1 FROM results INDEXED BY results_by_request WHERE request_id = ? AND status = 'settled'",
      ).get(requestId) !== undefined
    );
  }

  // ── rejections (bounded) ───────────────────────────────────────────────────────────────

  insertRejection(r: StoredRejection, keep: number): void {
    this.stmt(
      "INSERT OR REPLACE INTO rejections (result_hash, request_id, code, reason, at, cause_code) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(r.resultHash, r.requestId, r.code, r.reason, r.at, r.cause ?? null);
    this.stmt(
      "DELETE FROM rejections WHERE rowid IN (SELECT rowid FROM rejections ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)",
    ).run(keep);
  }

  rejectionsForRequest(requestId: Hex): StoredRejection[] {
    return (
      this.stmt("SELECT * FROM rejections WHERE request_id = ? ORDER BY at").all(requestId) as Row[]
    ).map((r) => ({
      requestId: hex(r["request_id"]),
      resultHash: hex(r["result_hash"]),
      code: String(r["code"]),
      reason: String(r["reason"]),
      at: Number(r["at"]),
      cause: r["cause_code"] == null ? undefined : String(r["cause_code"]),
    }));
  }

  /** The most recently received results, newest first (the explorer's list). */
  recentResults(limit: number): StoredResult[] {
    return (
      this.stmt("SELECT * FROM results ORDER BY received_at DESC, result_hash LIMIT ?").all(limit) as Row[]
    ).map(resultFromRow);
  }

  /** The most recent rejections, newest first. */
  recentRejections(limit: number): StoredRejection[] {
    return (this.stmt("SELECT * FROM rejections ORDER BY at DESC LIMIT ?").all(limit) as Row[]).map((r) => ({
      requestId: hex(r["request_id"]),
      resultHash: hex(r["result_hash"]),
      code: String(r["code"]),
      reason: String(r["reason"]),
      at: Number(r["at"]),
      cause: r["cause_code"] == null ? undefined : String(r["cause_code"]),
    }));
  }

  // ── proposals, batches and signatures ──────────────────────────────────────────────────

  /**
   * Remembers a proposal's membership (ours or a peer's), once per (batch id, root, set). With
   * `limits`, each proposer keeps at most `maxCount` proposals and `maxBytes` of result hashes: its
   * oldest go first, so a member that floods proposals only ever evicts its own. Returns how many
   * of the proposer's proposals were evicted.
   */
  insertProposal(
    p: Omit<StoredBatch, "status" | "settleTx">,
    limits?: { maxCount: number; maxBytes: number },
  ): number {
    const proposer = p.proposer.toLowerCase();
    const inserted = this.stmt(
      `INSERT OR IGNORE INTO proposals (batch_id, root, config_digest, count, result_hashes, proposer, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(p.batchId, p.root, p.configDigest, p.count, packHashes(p.resultHashes), proposer, p.createdAt);
    if (!limits || Number(inserted.changes) === 0) return 0;
    // (Not one transaction with the insert: callers may hold one; a crash in between leaves one row more.)
    const evicted = this.stmt(
      `DELETE FROM proposals WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
         ROW_NUMBER() OVER (ORDER BY created_at DESC, rowid DESC) AS n,
         SUM(length(result_hashes)) OVER (ORDER BY created_at DESC, rowid DESC) AS total
         FROM proposals WHERE proposer = ?) WHERE n > ? OR total > ?)`,
    ).run(proposer, limits.maxCount, limits.maxBytes);
    return Number(evicted.changes);
  }

  /** Proposals and bytes of result hashes stored for `proposer`. */
  proposalsBy(proposer: Address): { count: number; bytes: number } {
    const row = this.stmt(
      "SELECT COUNT(*) AS count, COALESCE(SUM(length(result_hashes)), 0) AS bytes FROM proposals WHERE proposer = ?",
    ).get(proposer.toLowerCase()) as Row;
    return { count: Number(row["count"]), bytes: Number(row["bytes"]) };
  }

  /** Proposals by `proposer` (newest first). */
  proposalIdsBy(proposer: Address): { batchId: bigint; root: Hex }[] {
    return (
      this.stmt(
        "SELECT batch_id, root FROM proposals WHERE proposer = ? ORDER BY created_at DESC, rowid DESC",
      ).all(proposer.toLowerCase()) as Row[]
    ).map((r) => ({ batchId: BigInt(r["batch_id"] as number | bigint), root: r["root"] as Hex }));
  }

  /** A proposal of `root` for `batchId` (the membership of a root is the same under every set). */
  getProposal(batchId: bigint, root: Hex): StoredBatch | undefined {
    const row = this.stmt(
      "SELECT *, 'signed' AS status, NULL AS settle_tx FROM proposals WHERE batch_id = ? AND root = ? ORDER BY created_at DESC LIMIT 1",
    ).get(batchId, root) as Row | undefined;
    return row ? batchFromRow(row) : undefined;
  }

  proposalsFor(batchId: bigint): StoredBatch[] {
    return (
      this.stmt(
        "SELECT *, 'signed' AS status, NULL AS settle_tx FROM proposals WHERE batch_id = ? ORDER BY created_at",
      ).all(batchId) as Row[]
    ).map(batchFromRow);
  }

  /**
   * Records the root we sign for a batch id. At most one root per (batch id, verifier set): returns
   * the batch already recorded when there is one for this set or the batch is settled (the caller
   * must not sign another root). A root signed under an older set is replaced: the set's digest
   * only ever moves forward (the registry's config count), so the old signature can never count
   * again and signing anew is no equivocation (the hub only slashes two roots under one digest).
   */
  recordSignedBatch(b: Omit<StoredBatch, "status" | "settleTx">): StoredBatch {
    const hashes = packHashes(b.resultHashes);
    this.stmt(
      `INSERT INTO batches (batch_id, config_digest, root, count, result_hashes, proposer, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'signed', ?)
       ON CONFLICT (batch_id) DO UPDATE SET config_digest = excluded.config_digest, root = excluded.root,
         count = excluded.count, result_hashes = excluded.result_hashes, proposer = excluded.proposer,
         created_at = excluded.created_at
       WHERE status = 'signed' AND config_digest != excluded.config_digest`,
    ).run(b.batchId, b.configDigest, b.root, b.count, hashes, b.proposer.toLowerCase(), b.createdAt);
    return this.getBatch(b.batchId)!;
  }

  getBatch(batchId: bigint): StoredBatch | undefined {
    const row = this.stmt("SELECT * FROM batches WHERE batch_id = ?").get(batchId) as Row | undefined;
    return row ? batchFromRow(row) : undefined;
  }

  /** The batches this verifier signed, newest first. */
  recentBatches(limit: number): StoredBatch[] {
    return (this.stmt("SELECT * FROM batches ORDER BY batch_id DESC LIMIT ?").all(limit) as Row[]).map(
      batchFromRow,
    );
  }

  /** Proposals seen for any round of sequence number `sequence` under the set `configDigest`. */
  proposalsAtSequence(sequence: bigint, configDigest: Hex): StoredBatch[] {
    return (
      this.stmt(
        `SELECT *, 'signed' AS status, NULL AS settle_tx FROM proposals
         WHERE (batch_id & 1099511627775) = ? AND config_digest = ? ORDER BY batch_id, created_at`,
      ).all(sequence, configDigest) as Row[]
    ).map(batchFromRow);
  }

  /** The roots we signed (not settled) for any round of sequence number `sequence` under `configDigest`. */
  signedAtSequence(sequence: bigint, configDigest: Hex): StoredBatch[] {
    return (
      this.stmt(
        `SELECT * FROM batches WHERE (batch_id & 1099511627775) = ? AND config_digest = ? AND status = 'signed'
         ORDER BY batch_id`,
      ).all(sequence, configDigest) as Row[]
    ).map(batchFromRow);
  }

  /** Batches we signed that are not settled yet. */
  unsettledBatches(): StoredBatch[] {
    return (this.stmt("SELECT * FROM batches WHERE status = 'signed' ORDER BY batch_id").all() as Row[]).map(
      batchFromRow,
    );
  }

  /** A watcher's checkpoint (last block fully processed), kept with the rest of the state. */
  checkpoint(name: string): bigint | undefined {
    const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(`checkpoint:${name}`) as
      | Row
      | undefined;
    return row ? BigInt(String(row["value"])) : undefined;
  }

  saveCheckpoint(name: string, block: bigint): void {
    this.stmt(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(`checkpoint:${name}`, block.toString());
  }

  /** The id of the settled batch with the highest sequence number (0 before the first). */
  lastSettledBatchId(): bigint {
    const row = this.stmt("SELECT value FROM meta WHERE key = 'last_settled_batch'").get() as Row | undefined;
    return row ? BigInt(String(row["value"])) : 0n;
  }

  /**
   * Marks batch `batchId` settled on chain with `root`. When we know that root's membership (a
   * proposal we saw), its results become settled; the ids of unknown roots are still recorded so
   * the next batch id is right.
   */
  markBatchSettled(batchId: bigint, root: Hex, count: number, tx: Hex | undefined): void {
    this.transaction(() => {
      const members = this.getProposal(batchId, root);
      this.stmt(
        `INSERT INTO batches (batch_id, config_digest, root, count, result_hashes, proposer, status, settle_tx, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'settled', ?, ?)
         ON CONFLICT (batch_id) DO UPDATE SET root = excluded.root, count = excluded.count, status = 'settled',
           settle_tx = COALESCE(excluded.settle_tx, settle_tx),
           -- Keep what we know of this root's membership; what we knew of another root no longer holds.
           result_hashes = CASE WHEN length(excluded.result_hashes) > 0 THEN excluded.result_hashes
             WHEN root = excluded.root THEN result_hashes ELSE excluded.result_hashes END,
           proposer = CASE WHEN excluded.proposer != '0x' OR root != excluded.root THEN excluded.proposer ELSE proposer END,
           config_digest = CASE WHEN excluded.config_digest != '0x' OR root != excluded.root THEN excluded.config_digest ELSE config_digest END`,
      ).run(
        batchId,
        members?.configDigest ?? "0x",
        root,
        count,
        packHashes(members?.resultHashes ?? []),
        members?.proposer ?? "0x",
        tx ?? null,
        Date.now(),
      );
      if (members) {
        const mark = this.stmt("UPDATE results SET status = 'settled', batch_id = ? WHERE result_hash = ?");
        const member = this.stmt("INSERT OR IGNORE INTO batch_members (result_hash, batch_id) VALUES (?, ?)");
        for (const h of members.resultHashes) {
          mark.run(batchId, h);
          member.run(h, batchId);
        }
      }
      this.stmt(
        `INSERT INTO meta (key, value) VALUES ('last_settled_batch', ?)
         ON CONFLICT (key) DO UPDATE SET value = CASE
           WHEN (CAST(excluded.value AS INTEGER) & 1099511627775) > (CAST(value AS INTEGER) & 1099511627775)
           THEN excluded.value ELSE value END`,
      ).run(batchId.toString());
    });
  }

  /** The settled batch holding a result, when its membership is known. */
  settledBatchOf(resultHash: Hex): bigint | undefined {
    const r = this.stmt("SELECT batch_id FROM batch_members WHERE result_hash = ?").get(resultHash) as
      | Row
      | undefined;
    return r ? BigInt(r["batch_id"] as number) : undefined;
  }

  /** Stores a batch-root signature; false when that verifier's signature for that root was there. */
  insertSignature(s: StoredSignature, at = Date.now()): boolean {
    const res = this.stmt(
      "INSERT OR IGNORE INTO batch_signatures (batch_id, root, config_digest, count, verifier, signature, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(s.batchId, s.root, s.configDigest, s.count, s.verifier.toLowerCase(), s.signature, at);
    return Number(res.changes) > 0;
  }

  /** Whether this exact signature (verifier, batch id, root, signature bytes) is stored. */
  hasSignature(s: Pick<StoredSignature, "batchId" | "root" | "verifier" | "signature">): boolean {
    return (
      this.stmt(
        "SELECT 1 FROM batch_signatures WHERE batch_id = ? AND root = ? AND verifier = ? AND signature = ?",
      ).get(s.batchId, s.root, s.verifier.toLowerCase(), s.signature) !== undefined
    );
  }

  /** Signatures over (`batchId`, `root`) under the verifier set `configDigest`. */
  signaturesFor(batchId: bigint, root: Hex, configDigest: Hex): StoredSignature[] {
    return (
      this.stmt(
        "SELECT * FROM batch_signatures WHERE batch_id = ? AND root = ? AND config_digest = ? ORDER BY verifier",
      ).all(batchId, root, configDigest) as Row[]
    ).map((r) => signatureFromRow(r));
  }

  /**
   * Another root the same verifier signed for the same batch id under the same verifier set
   * (verifier equivocation; a root signed again under a newer set is not one).
   */
  conflictingSignature(
    batchId: bigint,
    root: Hex,
    configDigest: Hex,
    verifier: Address,
  ): StoredSignature | undefined {
    const r = this.stmt(
      "SELECT * FROM batch_signatures WHERE batch_id = ? AND verifier = ? AND config_digest = ? AND root != ? LIMIT 1",
    ).get(batchId, verifier.toLowerCase(), configDigest, root) as Row | undefined;
    return r ? signatureFromRow(r) : undefined;
  }

  // ── equivocation evidence ─────────────────────────────────────────────────────────────

  /** Keeps evidence of misbehaviour once per (kind, key); false when it was known. */
  insertEquivocation(e: Omit<StoredEquivocation, "status" | "tx">): boolean {
    const res = this.stmt(
      "INSERT OR IGNORE INTO equivocations (kind, key, offender, evidence, status) VALUES (?, ?, ?, ?, 'pending')",
    ).run(e.kind, e.key, e.offender.toLowerCase(), e.evidence);
    return Number(res.changes) > 0;
  }

  pendingEquivocations(): StoredEquivocation[] {
    return (this.stmt("SELECT * FROM equivocations WHERE status = 'pending'").all() as Row[]).map((r) => ({
      kind: r["kind"] as StoredEquivocation["kind"],
      key: String(r["key"]),
      offender: r["offender"] as Address,
      evidence: new Uint8Array(r["evidence"] as Uint8Array),
      status: r["status"] as StoredEquivocation["status"],
      tx: (r["tx"] as Hex | null) ?? undefined,
    }));
  }

  updateEquivocation(kind: string, key: string, status: StoredEquivocation["status"], tx?: Hex): void {
    this.stmt("UPDATE equivocations SET status = ?, tx = COALESCE(?, tx) WHERE kind = ? AND key = ?").run(
      status,
      tx ?? null,
      kind,
      key,
    );
  }

  // ── results deferred while the chain was unreachable (bounded) ────────────────────────

  /**
   * Keeps an authenticated result whose checks need the chain, within `limits` (items and bytes;
   * the oldest go first). Returns false when it could not be kept (larger than the byte cap).
   */
  deferResult(
    digest: Hex,
    message: Uint8Array,
    at: number,
    limits: { maxItems: number; maxBytes: number },
  ): boolean {
    if (message.length > limits.maxBytes) return false;
    this.stmt("INSERT OR IGNORE INTO deferred (digest, message, first_at) VALUES (?, ?, ?)").run(
      digest,
      message,
      at,
    );
    this.stmt(
      "DELETE FROM deferred WHERE rowid IN (SELECT rowid FROM deferred ORDER BY first_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
    ).run(limits.maxItems);
    this.stmt(
      `DELETE FROM deferred WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
         SUM(length(message)) OVER (ORDER BY first_at DESC, rowid DESC) AS total FROM deferred) WHERE total > ?)`,
    ).run(limits.maxBytes);
    return this.stmt("SELECT 1 FROM deferred WHERE digest = ?").get(digest) !== undefined;
  }

  /** Items and bytes of the deferred queue. */
  deferredSize(): { items: number; bytes: number } {
    const r = this.stmt(
      "SELECT COUNT(*) AS n, COALESCE(SUM(length(message)), 0) AS b FROM deferred",
    ).get() as Row;
    return { items: Number(r["n"]), bytes: Number(r["b"]) };
  }

  /**
   * Retention: drops deferred results first seen before `deferredBefore` and rejections recorded
   * before `rejectionsBefore`, then gives freed pages back to the file system. Returns how many
   * rows went.
   */
  prune(cutoffs: { deferredBefore: number; rejectionsBefore: number }): number {
    const a = this.stmt("DELETE FROM deferred WHERE first_at < ?").run(cutoffs.deferredBefore);
    const b = this.stmt("DELETE FROM rejections WHERE at < ?").run(cutoffs.rejectionsBefore);
    const n = Number(a.changes) + Number(b.changes);
    if (n > 0) this.db.exec("PRAGMA incremental_vacuum;");
    return n;
  }

  deferredResults(limit: number): { digest: Hex; message: Uint8Array; attempts: number }[] {
    return (this.stmt("SELECT * FROM deferred ORDER BY first_at LIMIT ?").all(limit) as Row[]).map((r) => ({
      digest: hex(r["digest"]),
      message: new Uint8Array(r["message"] as Uint8Array),
      attempts: Number(r["attempts"]),
    }));
  }

  dropDeferred(digest: Hex): void {
    this.stmt("DELETE FROM deferred WHERE digest = ?").run(digest);
  }

  bumpDeferred(digest: Hex): void {
    this.stmt("UPDATE deferred SET attempts = attempts + 1 WHERE digest = ?").run(digest);
  }

  // ── payloads (outputs gossiped by reference; bounded) ─────────────────────────────────

  /** Keeps a fetched payload (already checked against `hash`) within `maxBytes`, oldest dropped. */
  putPayload(hash: Hex, bytes: Uint8Array, at: number, maxBytes: number): void {
    if (bytes.length > maxBytes) return;
    this.stmt("INSERT OR IGNORE INTO payloads (hash, bytes, fetched_at) VALUES (?, ?, ?)").run(
      hash.toLowerCase(),
      bytes,
      at,
    );
    this.stmt(
      `DELETE FROM payloads WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
         SUM(length(bytes)) OVER (ORDER BY fetched_at DESC, rowid DESC) AS total FROM payloads) WHERE total > ?)`,
    ).run(maxBytes);
  }

  /**
   * The payload hashing to `hash` when held: fetched earlier, or the inline outputs of a stored
   * result with that output hash. What this verifier serves to peers and shows in its API.
   */
  payload(hash: Hex): Uint8Array | undefined {
    const row = this.stmt("SELECT bytes FROM payloads WHERE hash = ?").get(hash.toLowerCase()) as
      | Row
      | undefined;
    if (row) return new Uint8Array(row["bytes"] as Uint8Array);
    // (The length term lets SQLite use the partial index results_by_output: see the schema.)
    for (const r of this.stmt(
      "SELECT message FROM results WHERE output_hash = ? AND length(message) > 1024 LIMIT 4",
    ).all(hash.toLowerCase()) as Row[]) {
      const outputs = inlineOutputs(r["message"] as Uint8Array);
      if (outputs !== undefined) return outputs;
    }
    return undefined;
  }

  // ── retention of settled results and batch signatures ───────────────────────────────────

  /**
   * Retention of what settlement made history: settled results received before `resultsBefore`,
   * then the oldest settled results past `maxResultBytes` (their messages); batch signatures and
   * proposals of sequence numbers up to the last settled one received before `signaturesBefore`,
   * then the oldest signatures past `maxSignatureBytes`. Results still waiting for a batch are
   * never dropped, nor signatures or proposals of rounds not settled yet (except by the byte cap,
   * a safety net far above what settling needs). A dropped result's hash stays in
   * `batch_members` (32 bytes and an id), so a replay of it is still a duplicate. Returns how many
   * rows went, by kind.
   */
  pruneSettled(limits: {
    resultsBefore: number;
    maxResultBytes: number;
    signaturesBefore: number;
    maxSignatureBytes: number;
  }): { results: number; signatures: number; proposals: number } {
    const lastSequence = this.lastSettledBatchId() & SEQUENCE_MASK;
    const out = this.transaction(() => {
      const expired = this.stmt(
        "SELECT result_hash FROM results WHERE status = 'settled' AND received_at < ?",
      ).all(limits.resultsBefore) as Row[];
      const overCap = this.stmt(
        `SELECT result_hash FROM (SELECT result_hash, received_at,
           SUM(length(message)) OVER (ORDER BY received_at DESC, rowid DESC) AS total
           FROM results WHERE status = 'settled') WHERE total > ? AND received_at >= ?`,
      ).all(limits.maxResultBytes, limits.resultsBefore) as Row[];
      const mark = this.stmt("UPDATE batch_members SET pruned = 1 WHERE result_hash = ?");
      const drop = this.stmt("DELETE FROM results WHERE result_hash = ?");
      let results = 0;
      for (const r of [...expired, ...overCap]) {
        // Settled results always have their membership row (markBatchSettled writes both).
        mark.run(r["result_hash"] as string);
        results += Number(drop.run(r["result_hash"] as string).changes);
      }
      let signatures = Number(
        this.stmt(
          "DELETE FROM batch_signatures WHERE received_at < ? AND (batch_id & 1099511627775) <= ?",
        ).run(limits.signaturesBefore, lastSequence).changes,
      );
      signatures += Number(
        this.stmt(
          `DELETE FROM batch_signatures WHERE rowid IN (SELECT rowid FROM (SELECT rowid,
             SUM(${SIGNATURE_ROW_BYTES}) OVER (ORDER BY received_at DESC, rowid DESC) AS total
             FROM batch_signatures) WHERE total > ?)`,
        ).run(limits.maxSignatureBytes).changes,
      );
      const proposals = Number(
        this.stmt("DELETE FROM proposals WHERE created_at < ? AND (batch_id & 1099511627775) <= ?").run(
          limits.signaturesBefore,
          lastSequence,
        ).changes,
      );
      return { results, signatures, proposals };
    });
    if (out.results + out.signatures + out.proposals > 0) this.db.exec("PRAGMA incremental_vacuum;");
    return out;
  }

  /** Rows and bytes (messages; signature rows) of the results and batch signatures held. */
  retainedSize(): { results: number; resultBytes: number; signatures: number; signatureBytes: number } {
    const r = this.stmt(
      `SELECT (SELECT COUNT(*) FROM results) AS results,
              (SELECT COALESCE(SUM(length(message)), 0) FROM results) AS result_bytes,
              (SELECT COUNT(*) FROM batch_signatures) AS signatures,
              (SELECT COALESCE(SUM(${SIGNATURE_ROW_BYTES}), 0) FROM batch_signatures) AS signature_bytes`,
    ).get() as Row;
    return {
      results: Number(r["results"]),
      resultBytes: Number(r["result_bytes"]),
      signatures: Number(r["signatures"]),
      signatureBytes: Number(r["signature_bytes"]),
    };
  }

  /** Retention of fetched payloads: drops those fetched before `before`. */
  prunePayloads(before: number): number {
    const n = Number(this.stmt("DELETE FROM payloads WHERE fetched_at < ?").run(before).changes);
    if (n > 0) this.db.exec("PRAGMA incremental_vacuum;");
    return n;
  }

  counts(): { results: number; pending: number; settled: number; batches: number } {
    const r = this.stmt(
      `SELECT (SELECT COUNT(*) FROM results) AS results,
              (SELECT COUNT(*) FROM results WHERE status = 'verified') AS pending,
              (SELECT COUNT(*) FROM results WHERE status = 'settled') AS settled,
              (SELECT COUNT(*) FROM batches WHERE status = 'settled') AS batches`,
    ).get() as Row;
    return {
      results: Number(r["results"]),
      pending: Number(r["pending"]),
      settled: Number(r["settled"]),
      batches: Number(r["batches"]),
    };
  }
}
