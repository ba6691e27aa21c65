#!/usr/bin/env node
// The `chain` service of docker/compose.yml: a Hardhat node (EDR) on 0.0.0.0:8545 that mines a
// block every second, as the native devnet's chain does (@opg/testkit's HardhatNode): `hardhat
// node` starts with automine, then `evm_setAutomine false` + `evm_setIntervalMining <ms>` switch
// it to interval mining. Once that is done, READY_FILE exists (the healthcheck looks for it).
// Its state lives in memory: a restarted chain is a fresh one (the deployer then deploys again).
//
// `--help` says so and runs `hardhat --help` in the contracts project (the image build checks that
// hardhat and its config load).
//
// Environment: OPG_CONTRACTS_DIR (/app/contracts), CHAIN_HOST (0.0.0.0), CHAIN_PORT (8545),
// CHAIN_BLOCK_TIME_MS (1000), CHAIN_READY_FILE (/tmp/opg-chain-ready).

import { spawn, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";

const CONTRACTS_DIR = process.env.OPG_CONTRACTS_DIR ?? "/app/contracts";
const HOST = process.env.CHAIN_HOST ?? "0.0.0.0";
const PORT = Number(process.env.CHAIN_PORT ?? 8545);
const BLOCK_TIME_MS = Number(process.env.CHAIN_BLOCK_TIME_MS ?? 1_000);
const READY_FILE = process.env.CHAIN_READY_FILE ?? "/tmp/opg-chain-ready";
const START_TIMEOUT_MS = 120_000;

const require = createRequire(join(CONTRACTS_DIR, "package.json"));
const cli = join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(
    "usage: entrypoint.mjs\n\nA Hardhat node on CHAIN_HOST:CHAIN_PORT (0.0.0.0:8545) mining a block every CHAIN_BLOCK_TIME_MS (1000).\n\n",
  );
  const help = spawnSync(process.execPath, [cli, "--help"], { cwd: CONTRACTS_DIR, stdio: "inherit" });
  process.exit(help.status ?? 1);
}

function log(line) {
  process.stdout.write(`[chain] ${line}\n`);
}

rmSync(READY_FILE, { force: true });
log(`starting hardhat node on ${HOST}:${PORT}`);
const child = spawn(process.execPath, [cli, "node", "--hostname", HOST, "--port", String(PORT)], {
  cwd: CONTRACTS_DIR,
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1" },
});
let exited = false;
child.on("exit", (code, signal) => {
  exited = true;
  rmSync(READY_FILE, { force: true });
  log(`hardhat node exited (${signal ?? `code ${code}`})`);
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));

async function rpc(method, params) {
  const res = await fetch(`http://127.0.0.1:${PORT}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const deadline = Date.now() + START_TIMEOUT_MS;
for (;;) {
  try {
    await rpc("eth_chainId", []);
    break;
  } catch {
    if (exited) break;
    if (Date.now() > deadline) {
      log(`hardhat node did not answer in ${START_TIMEOUT_MS} ms`);
      child.kill("SIGKILL");
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
if (!exited && BLOCK_TIME_MS > 0) {
  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [BLOCK_TIME_MS]);
  log(`interval mining: a block every ${BLOCK_TIME_MS} ms`);
}
if (!exited) writeFileSync(READY_FILE, `${new Date().toISOString()}\n`);
