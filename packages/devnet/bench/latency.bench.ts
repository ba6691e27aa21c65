/**
 * Request-to-settled latency on the devnet topology (processes, 1 s blocks), modes NONE and TEE:
 * the time from sending a direct request to an executor until a verifier reports it settled on
 * chain. Part of `pnpm bench:verify`: adds its figures to bench-results/verify.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProofMode } from "@opg/protocol";
import { requestToSettled } from "./requestToSettled.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const file = join(ROOT, "bench-results", "verify.json");
const figures = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, number>) : {};
for (const [name, mode] of [
  ["none", ProofMode.NONE],
  ["tee", ProofMode.TEE],
] as const) {
  const { p50, p90 } = await requestToSettled({ requests: 20, mode });
  figures[`request_to_settled_p50_ms_${name}`] = p50;
  figures[`request_to_settled_p90_ms_${name}`] = p90;
  console.log(
    `request → settled on the devnet topology (1 s blocks), ${name.toUpperCase()}: p50 ${p50} ms, p90 ${p90} ms`,
  );
}
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
process.exit(0);
