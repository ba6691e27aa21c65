import { type SchemaMigration, tableColumns } from "@opg/daemon";

/** The verifier database schema (idempotent: applied at every start; see `migrateSchema`). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  result_hash TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL,
  model_id    TEXT NOT NULL,
  input_hash  TEXT NOT NULL,
  output_hash TEXT NOT NULL,
  executor    TEXT NOT NULL,
  mode        INTEGER NOT NULL,
  message     BLOB NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('verified', 'settled')),
  batch_id    INTEGER,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_request ON results (request_id);
CREATE INDEX IF NOT EXISTS results_by_status ON results (status, received_at);
-- Results whose message carries outputs that could also travel by reference (over 1 KiB), by
-- output hash: what the payload protocol serves. A smaller result's outputs travel inline with
-- every copy of it, so nobody asks for them by hash; leaving them out spares the busiest insert a
-- random-key index.
CREATE INDEX IF NOT EXISTS results_by_output ON results (output_hash) WHERE length(message) > 1024;

CREATE TABLE IF NOT EXISTS rejections (
  result_hash TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  at          INTEGER NOT NULL,
  cause_code  TEXT
);
CREATE INDEX IF NOT EXISTS rejections_by_request ON rejections (request_id);

-- Every proposal seen (ours or a peer's): the membership of a root, per verifier set.
CREATE TABLE IF NOT EXISTS proposals (
  batch_id      INTEGER NOT NULL,
  root          TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  count         INTEGER NOT NULL,
  result_hashes BLOB NOT NULL,
  proposer      TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (batch_id, root, config_digest)
);

-- The one root this verifier signed for a batch id under the current verifier set (a set change
-- voids the signature: the row is replaced by the root signed under the new set), and its settlement.
CREATE TABLE IF NOT EXISTS batches (
  batch_id      INTEGER PRIMARY KEY,
  config_digest TEXT NOT NULL,
  root          TEXT NOT NULL,
  count         INTEGER NOT NULL,
  result_hashes BLOB NOT NULL,
  proposer      TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('signed', 'settled')),
  settle_tx     TEXT,
  created_at    INTEGER NOT NULL
);

-- Membership of settled batches, when known: lets a result that arrives late be marked settled.
-- pruned = 1: the result itself went with retention; its hash stays so a replay is a duplicate.
CREATE TABLE IF NOT EXISTS batch_members (
  result_hash TEXT PRIMARY KEY,
  batch_id    INTEGER NOT NULL,
  pruned      INTEGER NOT NULL DEFAULT 0
);

-- A batch id's low 40 bits are its sequence number (batching/batchIds.ts).
CREATE INDEX IF NOT EXISTS proposals_by_sequence ON proposals ((batch_id & 1099511627775));
-- Per-member bound on stored proposals (VerifierStore.insertProposal evicts a member's oldest).
CREATE INDEX IF NOT EXISTS proposals_by_proposer ON proposals (proposer, created_at);
CREATE INDEX IF NOT EXISTS batches_by_sequence ON batches ((batch_id & 1099511627775));

CREATE TABLE IF NOT EXISTS batch_signatures (
  batch_id  INTEGER NOT NULL,
  root      TEXT NOT NULL,
  config_digest TEXT NOT NULL,
  count     INTEGER NOT NULL,
  verifier  TEXT NOT NULL,
  signature TEXT NOT NULL,
  received_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, root, config_digest, verifier)
);

CREATE TABLE IF NOT EXISTS equivocations (
  kind     TEXT NOT NULL,
  key      TEXT NOT NULL,
  offender TEXT NOT NULL,
  evidence BLOB NOT NULL,
  status   TEXT NOT NULL,
  tx       TEXT,
  PRIMARY KEY (kind, key)
);

-- Results whose checks needed the chain while it was unreachable: checked again later.
CREATE TABLE IF NOT EXISTS deferred (
  digest   TEXT PRIMARY KEY,
  message  BLOB NOT NULL,
  first_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);

-- Outputs of results gossiped by reference, fetched on demand (by hash) and kept for a while.
CREATE TABLE IF NOT EXISTS payloads (
  hash       TEXT PRIMARY KEY,
  bytes      BLOB NOT NULL,
  fetched_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payloads_by_age ON payloads (fetched_at);

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * Schema changes after the first release, each applied once (`PRAGMA user_version`). Files from
 * before versioning (version 0) may already hold some of them: each step checks first.
 */
export const MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    description: "rejections gain cause_code",
    up: (db) => {
      if (!tableColumns(db, "rejections").some((c) => c.name === "cause_code")) {
        db.exec("ALTER TABLE rejections ADD COLUMN cause_code TEXT");
      }
    },
  },
  {
    version: 2,
    description: "proposals and batch signatures are keyed by the config digest (re-signed under a new set)",
    up: (db) => {
      for (const table of ["proposals", "batch_signatures"]) {
        if (tableColumns(db, table).some((c) => c.name === "config_digest" && c.pk > 0)) continue;
        // The old table's columns, named: the current schema may have added some since.
        const names = tableColumns(db, table)
          .map((c) => c.name)
          .join(", ");
        db.exec(`ALTER TABLE ${table} RENAME TO ${table}_old`);
        db.exec(SCHEMA);
        db.exec(`INSERT OR IGNORE INTO ${table} (${names}) SELECT ${names} FROM ${table}_old`);
        db.exec(`DROP TABLE ${table}_old`);
        db.exec(SCHEMA); // the indexes went with the old table
      }
    },
  },
  {
    version: 3,
    description: "drop the settlements table (the settling transaction is kept with its batch)",
    up: (db) => db.exec("DROP TABLE IF EXISTS settlements"),
  },
  {
    version: 4,
    description:
      "retention: batch signatures gain their arrival time, batch members whether their result was pruned",
    up: (db) => {
      if (!tableColumns(db, "batch_signatures").some((c) => c.name === "received_at")) {
        db.exec("ALTER TABLE batch_signatures ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0");
      }
      db.exec("CREATE INDEX IF NOT EXISTS batch_signatures_by_age ON batch_signatures (received_at)");
      if (!tableColumns(db, "batch_members").some((c) => c.name === "pruned")) {
        db.exec("ALTER TABLE batch_members ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0");
      }
    },
  },
  {
    version: 5,
    description: "the output-hash index keeps only results whose messages could carry large outputs",
    up: (db) => {
      db.exec("DROP INDEX IF EXISTS results_by_output");
      db.exec(SCHEMA);
    },
  },
];
