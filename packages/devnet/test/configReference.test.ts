import { readFileSync } from "node:fs";
import { join } from "node:path";
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
});
