import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { StoreError } from "../src/errors.js";
import { migrateSchema, type SchemaMigration, tableColumns } from "../src/store/migrateSchema.js";

const SCHEMA = "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
const MIGRATIONS: SchemaMigration[] = [
  {
    version: 1,
    description: "items gain a size",
    up: (db) => {
      if (!tableColumns(db, "items").some((c) => c.name === "size")) {
        db.exec("ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0");
      }
    },
  },
  { version: 2, description: "drop the old table", up: (db) => db.exec("DROP TABLE IF EXISTS old") },
];
const version = (db: DatabaseSync) =>
  Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);

describe("migrateSchema", () => {
  it("default: a new file gets the schema and the newest version", () => {
    const db = new DatabaseSync(":memory:");
    expect(migrateSchema(db, "test store", SCHEMA, MIGRATIONS)).toEqual({ from: 0, to: 2 });
    expect(version(db)).toBe(2);
    expect(tableColumns(db, "items").map((c) => c.name)).toEqual(["id", "name", "size"]);
  });

  it("behavior: a file from before versioning is brought up, keeping its rows", () => {
    const db = new DatabaseSync(":memory:");
    db.exec(SCHEMA);
    db.exec("CREATE TABLE old (x INTEGER)");
    db.exec("INSERT INTO items (id, name) VALUES (1, 'a')");
    migrateSchema(db, "test store", SCHEMA, MIGRATIONS);
    expect(db.prepare("SELECT id, name, size FROM items").all()).toEqual([{ id: 1, name: "a", size: 0 }]);
    expect(tableColumns(db, "old")).toEqual([]);
  });

  it("behavior: each migration runs once; opening again changes nothing", () => {
    const db = new DatabaseSync(":memory:");
    let runs = 0;
    const counted = MIGRATIONS.map((m) => ({
      ...m,
      up: (d: DatabaseSync) => {
        runs++;
        m.up(d);
      },
    }));
    migrateSchema(db, "test store", SCHEMA, counted);
    expect(migrateSchema(db, "test store", SCHEMA, counted)).toEqual({ from: 2, to: 2 });
    expect(runs).toBe(2);
  });

  it("error: a file written by a newer release is refused, not misread", () => {
    const db = new DatabaseSync(":memory:");
    db.exec("PRAGMA user_version = 7");
    let err: unknown;
    try {
      migrateSchema(db, "the test store", SCHEMA, MIGRATIONS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("SCHEMA_TOO_NEW");
    expect((err as Error).message).toMatchInlineSnapshot(`
      "the test store has schema version 7; this release knows versions up to 2.

      Details: Run the newer release that wrote it, or start from a new data directory."
    `);
  });

  it("error: a failed migration is rolled back and names its step", () => {
    const db = new DatabaseSync(":memory:");
    const failing: SchemaMigration[] = [
      ...MIGRATIONS,
      {
        version: 3,
        description: "a broken step",
        up: (d) => {
          d.exec("INSERT INTO items (id, name) VALUES (9, 'x')");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrateSchema(db, "test store", SCHEMA, failing)).toThrow(/migration to version 3 failed/);
    expect(version(db)).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM items").get()).toEqual({ n: 0 });
  });
});
