/** The verifier database schema (idempotent: applied at every start). */
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
CREATE INDEX IF NOT EXISTS results_by_output ON results (output_hash);

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
CREATE INDEX IF NOT EXISTS batch_signatures_by_age ON batch_signatures (received_at);

CREATE TABLE IF NOT EXISTS equivocations (
  kind     TEXT NOT NULL,
  key      TEXT NOT NULL,
  offender TEXT NOT NULL,
  evidence BLOB NOT NULL,
  status   TEXT NOT NULL,
  tx       TEXT,
  PRIMARY KEY (kind, key)
);

CREATE TABLE IF NOT EXISTS settlements (
  batch_id   INTEGER PRIMARY KEY,
  tx_hash    TEXT NOT NULL,
  status     TEXT NOT NULL,
  updated_at INTEGER NOT NULL
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

/** The schema's tables only (its indexes may name columns a migration adds to an old table). */
export const SCHEMA_TABLES = SCHEMA.split("\n")
  .filter((line) => !line.startsWith("CREATE INDEX"))
  .join("\n");
