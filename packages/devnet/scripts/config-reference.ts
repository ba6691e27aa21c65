// Regenerates docs/configuration.md: `pnpm --filter @opg/devnet docs:config`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execNodeConfig } from "@opg/exec-node";
import { verifyNodeConfig } from "@opg/verify-node";
import { configReference } from "../src/configReference.js";

const file = join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md");
writeFileSync(
  file,
  configReference([
    { name: "opg-exec", schema: execNodeConfig },
    { name: "opg-verify", schema: verifyNodeConfig },
  ]),
);
console.log(`wrote ${file}`);
