import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { migrateSchema, type SchemaMigration } from "@opg/daemon";
import type { Hex } from "viem";

/** A result this executor signed, kept until it no longer needs publishing. */
export type ExecRecord = {
  requestId: Hex;
  modelId: Hex;
  mode: number;
  /** The signed wire message, exactly as gossiped. */
  message: Uint8Array;
  /** Unix seconds after which the request is void. */
  deadline: number;
  createdAt: number;
  publishedAt: number | undefined;
  done: boolean;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  request_id   TEXT PRIMARY KEY,
  model_id     TEXT NOT NULL,
  mode         INTEGER NOT NULL,
  message      BLOB NOT NULL,
  deadline     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  published_at INTEGER,
  done         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS results_open ON results (done, published_at);
CREATE TABLE IF NOT EXISTS deliveries (
  request_id TEXT PRIMARY KEY,
  request    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_at    INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_at);
-- Outputs gossiped by reference (their hash only), served on demand by hash.
CREATE TABLE IF NOT EXISTS payloads (
  hash       TEXT PRIMARY KEY,
  bytes      BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payloads_by_age ON payloads (created_at);
`;

/** Schema changes after the first release (see `migrateSchema`). */
const MIGRATIONS: readonly SchemaMigration[] = [
  { version: 1, description: "schema versioning starts", up: () => {} },
  { version: 2, description: "drop the unused meta table", up: (db) => db.exec("DROP TABLE IF EXISTS meta") },
];

/** An on-chain request whose result this executor delivers itself once settled. */
export type PendingDelivery = {
  requestId: Hex;
  /** The hub's request record, as JSON with bigints as decimal strings (see Deliverer). */
  request: string;
  createdAt: number;
  nextAt: number;
  /** Failed delivery transactions so far. */
  attempts: number;
};

type Row = Record<string, unknown>;

function fromRow(r: Row): ExecRecord {
  return {
    requestId: r["request_id"] as Hex,
    modelId: r["model_id"] as Hex,
    mode: Number(r["mode"]),
    message: new Uint8Array(r["message"] as Uint8Array),
    deadline: Number(r["deadline"]),
    createdAt: Number(r["created_at"]),
    publishedAt: r["published_at"] === null ? undefined : Number(r["published_at"]),
    done: Number(r["done"]) === 1,
  };
}

/**
 * The executor's durable results (node:sqlite, WAL). One result per request, ever: a request
 * seen again gets the stored result, never a second (possibly different) one, which would be
 * equivocation. A result is published again (also after a restart) for a while, never after its
 * request's deadline (`expire` marks it done); it is deleted a retention period after that deadline
 * (`pruneExpired`), when no request can be executed again (an expired request is refused).
 */
export class ExecStore {
  private readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    migrateSchema(this.db, `the executor store ${path}`, SCHEMA, MIGRATIONS);
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Stores a signed result. Returns undefined when it was stored, or the record that already
   * holds for the request (the first one wins).
   */
  put(r: Omit<ExecRecord, "publishedAt" | "done">): ExecRecord | undefined {
    const res = this.stmt(
      "INSERT OR IGNORE INTO results (request_id, model_id, mode, message, deadline, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(r.requestId.toLowerCase(), r.modelId, r.mode, r.message, r.deadline, r.createdAt);
    return Number(res.changes) > 0 ? undefined : this.get(r.requestId);
  }

  /** Keeps a payload (canonical output bytes) under its keccak256 `hash`. */
  putPayload(hash: Hex, bytes: Uint8Array, at: number): void {
    this.stmt("INSERT OR IGNORE INTO payloads (hash, bytes, created_at) VALUES (?, ?, ?)").run(
      hash.toLowerCase(),
      bytes,
      at,
    );
  }

  /** The payload hashing to `hash`, when held. */
  payload(hash: Hex): Uint8Array | undefined {
    const row = this.stmt("SELECT bytes FROM payloads WHERE hash = ?").get(hash.toLowerCase()) as
      | Row
      | undefined;
    return row ? new Uint8Array(row["bytes"] as Uint8Array) : undefined;
  }

  /** Retention: deletes the results whose deadline (unix seconds) is before `deadlineBefore`; returns how many. */
  pruneExpired(deadlineBefore: number): number {
    return Number(
      this.stmt("DELETE FROM results WHERE done = 1 AND deadline < ?").run(deadlineBefore).changes,
    );
  }

  /** Retention: drops payloads stored before `before`; returns how many. */
  prunePayloads(before: number): number {
    return Number(this.stmt("DELETE FROM payloads WHERE created_at < ?").run(before).changes);
  }

  get(requestId: Hex): ExecRecord | undefined {
    const row = this.stmt("SELECT * FROM results WHERE request_id = ?").get(requestId.toLowerCase()) as
      | Row
      | undefined;
    return row ? fromRow(row) : undefined;
  }

  markPublished(requestId: Hex, at: number): void {
    this.stmt("UPDATE results SET published_at = ? WHERE request_id = ?").run(at, requestId.toLowerCase());
  }

  /** Open results created after `createdAfter`, last published before `before` (or never), oldest first. */
  duePublishing(before: number, createdAfter: number, limit: number): ExecRecord[] {
    return (
      this.stmt(
        `SELECT * FROM results WHERE done = 0 AND created_at > ? AND (published_at IS NULL OR published_at < ?)
         ORDER BY created_at LIMIT ?`,
      ).all(createdAfter, before, limit) as Row[]
    ).map(fromRow);
  }

  /** Marks every result whose deadline passed as done; returns how many. */
  expire(nowSeconds: number): number {
    return Number(
      this.stmt("UPDATE results SET done = 1 WHERE done = 0 AND deadline < ?").run(nowSeconds).changes,
    );
  }

  /**
   * Adds a request to deliver (first record wins). False when `max` deliveries are already pending:
   * the store stays bounded, and anyone (the SDK, the dApp) may still deliver that one.
   */
  addDelivery(requestId: Hex, request: string, now: number, max: number): boolean {
    const { n } = this.stmt("SELECT COUNT(*) AS n FROM deliveries").get() as { n: number };
    if (Number(n) >= max) return false;
    this.stmt(
      "INSERT OR IGNORE INTO deliveries (request_id, request, created_at, next_at) VALUES (?, ?, ?, ?)",
    ).run(requestId.toLowerCase(), request, now, now);
    return true;
  }

  /** Pending deliveries due at `now`, earliest first. */
  dueDeliveries(now: number, limit: number): PendingDelivery[] {
    return (
      this.stmt("SELECT * FROM deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?").all(
        now,
        limit,
      ) as Row[]
    ).map((r) => ({
      requestId: r["request_id"] as Hex,
      request: String(r["request"]),
      createdAt: Number(r["created_at"]),
      nextAt: Number(r["next_at"]),
      attempts: Number(r["attempts"]),
    }));
  }

  rescheduleDelivery(requestId: Hex, nextAt: number, attempts: number): void {
    this.stmt("UPDATE deliveries SET next_at = ?, attempts = ? WHERE request_id = ?").run(
      nextAt,
      attempts,
      requestId.toLowerCase(),
    );
  }

  /** Makes every pending delivery due (a batch settled: some may now have their proof). */
  wakeDeliveries(now: number): void {
    this.stmt("UPDATE deliveries SET next_at = ? WHERE next_at > ?").run(now, now);
  }

  removeDelivery(requestId: Hex): void {
    this.stmt("DELETE FROM deliveries WHERE request_id = ?").run(requestId.toLowerCase());
  }

  pendingDeliveries(): number {
    return Number((this.stmt("SELECT COUNT(*) AS n FROM deliveries").get() as Row)["n"]);
  }

  counts(): { results: number; open: number } {
    const r = this.stmt(
      "SELECT (SELECT COUNT(*) FROM results) AS results, (SELECT COUNT(*) FROM results WHERE done = 0) AS open",
    ).get() as Row;
    return { results: Number(r["results"]), open: Number(r["open"]) };
  }
}
