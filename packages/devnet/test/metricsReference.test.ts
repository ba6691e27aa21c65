import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catalogEntries } from "@opg/daemon";
import { execMetricsCatalog } from "@opg/exec-node";
import { verifyMetricsCatalog } from "@opg/verify-node";
import { describe, expect, it } from "vitest";
import { metricsReference } from "../src/metricsReference.js";

const DAEMONS = [
  { name: "opg-exec", catalog: execMetricsCatalog },
  { name: "opg-verify", catalog: verifyMetricsCatalog },
] as const;
const doc = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "metrics.md"), "utf8");

/** The table of docs/metrics.md: metric → its cells (type, labels, daemons, meaning). */
function documented(): Map<string, { type: string; labels: string[]; daemons: string[]; help: string }> {
  const rows = new Map<string, { type: string; labels: string[]; daemons: string[]; help: string }>();
  for (const line of doc.split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const name = /^`(opg_[a-z0-9_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (!name) continue;
    const list = (cell: string) => (cell === "–" ? [] : cell.split(", "));
    rows.set(name, {
      type: cells[2] as string,
      labels: list(cells[3] as string),
      daemons: list(cells[4] as string),
      help: (cells[5] as string).replace(/\\\|/g, "|"),
    });
  }
  return rows;
}

describe("docs/metrics.md", () => {
  it("default: is the page generated from the daemons' catalogs", () => {
    expect(doc, "run `pnpm --filter @opg/devnet docs:metrics`").toBe(metricsReference(DAEMONS));
  });

  it("behavior: lists every metric of each daemon's catalog, with its type, labels and help, and no other", () => {
    const rows = documented();
    const expected = new Set<string>();
    for (const { name: daemon, catalog } of DAEMONS) {
      for (const entry of catalogEntries(catalog)) {
        expected.add(entry.name);
        const row = rows.get(entry.name);
        expect(row, `${entry.name} (${daemon})`).toBeDefined();
        expect(row?.type, entry.name).toBe(entry.type);
        expect(row?.labels, entry.name).toEqual([...entry.labelNames]);
        expect(row?.help, entry.name).toBe(entry.help);
        expect(row?.daemons, entry.name).toContain(daemon);
      }
    }
    expect([...rows.keys()].sort()).toEqual([...expected].sort());
    // A daemon is named only for the metrics its own catalog holds.
    for (const [name, row] of rows) {
      for (const daemon of row.daemons) {
        const catalog = DAEMONS.find((d) => d.name === daemon)?.catalog;
        expect(catalog, `${name}: ${daemon}`).toBeDefined();
        expect(
          catalogEntries(catalog ?? {}).map((e) => e.name),
          `${name}: ${daemon}`,
        ).toContain(name);
      }
    }
  });
});
