import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "../errors.js";

/**
 * One change of a store's schema that `CREATE … IF NOT EXISTS` cannot express (a new column, a new
 * key, a dropped table). `up` runs once, inside a transaction, when the file's version is below
 * `version`; it must also be safe on a file from before versioning (version 0), which may already
 * hold the change.
 */
export type SchemaMigration = {
  version: number;
  description: string;
  up: (db: DatabaseSync) => void;
};

/**
 * Brings a SQLite store to the newest schema: applies `schema` (idempotent `CREATE … IF NOT EXISTS`:
 * new tables and indexes), then each migration above the file's `PRAGMA user_version`, in order and
 * each in its own transaction, recording the version after each. A file written by a newer release
 * (a version above every migration) is refused rather than misread.
 *
 * @returns the version the file had and the version it has now.
 */
export function migrateSchema(
  db: DatabaseSync,
  what: string,
  schema: string,
  migrations: readonly SchemaMigration[],
): { from: number; to: number } {
  const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const from = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  if (from > latest) {
    throw new StoreError(
      "SCHEMA_TOO_NEW",
      `${what} has schema version ${from}; this release knows versions up to ${latest}.`,
      { details: "Run the newer release that wrote it, or start from a new data directory." },
    );
  }
  db.exec(schema);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= from) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      m.up(db);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw new StoreError("MIGRATION_FAILED", `${what}: migration to version ${m.version} failed.`, {
        details: m.description,
        cause: err,
      });
    }
  }
  return { from, to: Math.max(from, latest) };
}

/** The columns of `table` (empty when the table does not exist). */
export function tableColumns(db: DatabaseSync, table: string): { name: string; pk: number }[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[]).map((c) => ({
    name: String(c.name),
    pk: Number(c.pk),
  }));
}
