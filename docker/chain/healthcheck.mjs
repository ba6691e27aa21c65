#!/usr/bin/env node
// Healthcheck of the `chain` service: interval mining is set (entrypoint.mjs wrote READY_FILE)
// and the JSON-RPC answers.
import { existsSync } from "node:fs";

const PORT = Number(process.env.CHAIN_PORT ?? 8545);
const READY_FILE = process.env.CHAIN_READY_FILE ?? "/tmp/opg-chain-ready";

try {
  if (!existsSync(READY_FILE)) throw new Error("interval mining is not set yet");
  const res = await fetch(`http://127.0.0.1:${PORT}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
    signal: AbortSignal.timeout(3_000),
  });
  const body = await res.json();
  if (typeof body.result !== "string") throw new Error(body.error?.message ?? "no block number");
  process.exit(0);
} catch (err) {
  process.stderr.write(`chain not healthy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
