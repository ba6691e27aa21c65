// Regenerates docs/metrics.md from the daemons' metric catalogs: `pnpm --filter @opg/devnet docs:metrics`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execMetricsCatalog } from "@opg/exec-node";
import { verifyMetricsCatalog } from "@opg/verify-node";
import { metricsReference } from "../src/metricsReference.js";

const file = join(import.meta.dirname, "..", "..", "..", "docs", "metrics.md");
writeFileSync(
  file,
  metricsReference([
    { name: "opg-exec", catalog: execMetricsCatalog },
    { name: "opg-verify", catalog: verifyMetricsCatalog },
  ]),
);
console.log(`wrote ${file}`);
