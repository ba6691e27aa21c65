import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configKeys } from "@opg/daemon";
import { execNodeConfig } from "@opg/exec-node";
import { verifyNodeConfig } from "@opg/verify-node";
import { describe, expect, it } from "vitest";
import { configReference } from "../src/configReference.js";

describe("docs/configuration.md", () => {
  it("default: lists every key, env variable and flag of both daemons as their schemas define them", () => {
    const expected = configReference([
      { name: "opg-exec", schema: execNodeConfig },
      { name: "opg-verify", schema: verifyNodeConfig },
    ]);
    const actual = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md"),
      "utf8",
    );
    expect(actual, "run `pnpm --filter @opg/devnet docs:config`").toBe(expected);
  });

  it("behavior: each daemon's keys are documented with that daemon's own default and meaning", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md"), "utf8");
    /** The rows of the table under `## <title>`: key → the row's cells. */
    const section = (title: string) => {
      const body = doc.split(`## ${title}\n`)[1]?.split("\n## ")[0] ?? "";
      const rows = new Map<string, string[]>();
      for (const line of body.split("\n")) {
        const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
        const key = /^`(.+)`$/.exec(cells[1] ?? "")?.[1];
        if (key) rows.set(key, cells.slice(1, -1));
      }
      return rows;
    };
    const both = section("Keys of both daemons");
    for (const [name, schema] of [
      ["opg-exec", execNodeConfig],
      ["opg-verify", verifyNodeConfig],
    ] as const) {
      const own = section(`Keys of ${name} only`);
      for (const k of configKeys(schema)) {
        const row = own.get(k.path) ?? both.get(k.path);
        expect(row, `${name}: ${k.path} is documented`).toBeDefined();
        const [, env, flag, , defaultCell, meaning] = row!;
        expect([env, flag], `${name}: ${k.path}`).toEqual([`\`${k.env}\``, `\`${k.flag}\``]);
        expect(defaultCell, `${name}: ${k.path} default`).toBe(
          k.defaultValue === undefined ? "–" : `\`${JSON.stringify(k.defaultValue)}\``,
        );
        expect(meaning?.replace(/\\\|/g, "|"), `${name}: ${k.path} meaning`).toBe(k.description ?? "");
      }
    }
  });
});
