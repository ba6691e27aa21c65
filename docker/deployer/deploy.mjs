#!/usr/bin/env node
// The `deployer` service of docker/compose.yml: deploys opg on the compose chain and prepares
// every daemon's data dir on the shared volume, then exits (the daemons wait for it with
// `depends_on: condition: service_completed_successfully`).
//
// It does what the native devnet (@opg/devnet's `Devnet.start`) does between starting the chain
// and starting the daemons, with the same functions from the built workspace:
// - the development enclave root (`DevRoot.loadOrCreate`, @opg/attestation) in <data>/nitro-dev-root,
//   which every executor signs under (tee.devRootDir) and every verifier trusts (tee.devRootPem);
// - `devnetModelSetups` (@opg/devnet): the ZK models' verifier contracts, TEE models' measurements;
// - `deployDevnet` (@opg/devnet): the operators' own commands (opg-admin deploy, opg-verify /
//   opg-exec register, opg-admin verifiers set with f = 1) from the dev accounts (0 deployer, 1-3
//   verifiers, 4-5 executors), and the devnet's listings published by the deployer;
// - the ZK listings' keys sealed by the verifier set (`sealDevnetZkKeys`, @opg/devnet);
// - `prepareNodeDir` (@opg/testkit) for each daemon: keystore, password file, deployments/<chainId>.json;
// - `opg-exec --data-dir D models add FILE --name N` for each executor and model;
// - a libp2p peer key per daemon, derived from its service name (peerKeys.mjs), so that
//   compose.yml names every peer statically in OPG_P2P_PEERS.
// It ends by writing `<data>/devnet.json` (addresses, peer ids, model ids, endpoints). When that
// file exists and the chain still holds the contracts, there is nothing to do; when the chain was
// reset (Hardhat's state is in memory), the data dirs are wiped and everything is done again.
//
// `--help` prints this usage once every module it uses has loaded (solc included), without a chain:
// the image build runs it.
//
// Environment: OPG_ROOT (the workspace, /app), DEVNET_DATA_DIR (/data), DEVNET_RPC_URL
// (http://chain:8545), DEVNET_CHAIN_WAIT_MS (how long to wait for the chain, 120000).

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { peerKeySeed } from "./peerKeys.mjs";

const ROOT = process.env.OPG_ROOT ?? "/app";
const DATA_DIR = process.env.DEVNET_DATA_DIR ?? "/data";
const RPC_URL = process.env.DEVNET_RPC_URL ?? "http://chain:8545";
const CHAIN_WAIT_MS = Number(process.env.DEVNET_CHAIN_WAIT_MS ?? 120_000);
const SUMMARY = join(DATA_DIR, "devnet.json");
/** The development enclave root, shared by every daemon (compose.yml: OPG_TEE_DEV_ROOT_*). */
const DEV_ROOT_DIR = join(DATA_DIR, "nitro-dev-root");

// Workspace packages resolve from the packages that depend on them (pnpm's strict node_modules).
const fromDevnet = createRequire(join(ROOT, "packages", "devnet", "package.json"));
const fromP2p = createRequire(join(ROOT, "packages", "p2p", "package.json"));
const fromExec = createRequire(join(ROOT, "packages", "exec-node", "package.json"));
const load = async (require, id) => import(pathToFileURL(require.resolve(id)).href);
/** The first of `requires` that resolves `id`. */
async function loadAny(requires, id) {
  for (const require of requires) {
    try {
      require.resolve(id);
    } catch {
      continue;
    }
    return load(require, id);
  }
  throw new Error(`cannot resolve ${id} from ${ROOT}`);
}

const { DEVNET, deployDevnet, devnetModels, devnetModelSetups, sealDevnetZkKeys } = await load(
  fromDevnet,
  "@opg/devnet",
);
const { daemonCliPath, prepareNodeDir } = await load(fromDevnet, "@opg/testkit");
const { deploymentToJson } = await load(fromDevnet, "@opg/contracts");
const { DevRoot } = await loadAny([fromDevnet, fromExec], "@opg/attestation");
const { peerIdFromPrivateKey } = await load(fromDevnet, "@libp2p/peer-id");
const { generateKeyPairFromSeed, privateKeyToProtobuf } = await load(fromP2p, "@libp2p/crypto/keys");
const { privateKeyToAccount } = await load(fromDevnet, "viem/accounts");

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  // @opg/zk loads solc when it compiles the ZK verifiers: load it now.
  const solc = createRequire(fromDevnet.resolve("@opg/zk"))("solc");
  process.stdout.write(
    `usage: deploy.mjs\n\nDeploys opg on DEVNET_RPC_URL (${RPC_URL}) and prepares every daemon's data dir in DEVNET_DATA_DIR (${DATA_DIR}).\nsolc ${solc.version()}\n`,
  );
  process.exit(0);
}

function log(line) {
  process.stdout.write(`[deployer] ${line}\n`);
}

async function rpc(method, params) {
  const res = await fetch(RPC_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function waitForChain() {
  const deadline = Date.now() + CHAIN_WAIT_MS;
  for (;;) {
    try {
      const chainId = Number(await rpc("eth_chainId", []));
      if (chainId !== DEVNET.chainId)
        throw new Error(`chain ${RPC_URL} has id ${chainId}, not ${DEVNET.chainId}`);
      return;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("chain ")) throw err;
      if (Date.now() > deadline)
        throw new Error(`the chain at ${RPC_URL} did not answer in ${CHAIN_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** True when a previous run's deployment is still on the chain. */
async function alreadyDeployed() {
  if (!existsSync(SUMMARY)) return false;
  try {
    const summary = JSON.parse(readFileSync(SUMMARY, "utf8"));
    const code = await rpc("eth_getCode", [summary.deployment.inferenceHub, "latest"]);
    return typeof code === "string" && code !== "0x";
  } catch {
    return false;
  }
}

/** The daemons in topology order, with their dev-account keys and fixed ports (topology.ts). */
function daemons(net) {
  const node = (kind, i, key) => {
    const exec = kind === "exec-node";
    const name = `${exec ? "exec" : "verify"}-${i}`;
    const httpPort = (exec ? DEVNET.execHttpBase : DEVNET.verifyHttpBase) + i;
    const p2pPort = (exec ? DEVNET.execP2pBase : DEVNET.verifyP2pBase) + i;
    return {
      name,
      kind,
      key,
      address: privateKeyToAccount(key).address,
      dir: join(DATA_DIR, name),
      httpPort,
      p2pPort,
    };
  };
  return [
    ...net.executorKeys.map((key, i) => node("exec-node", i, key)),
    ...net.verifierKeys.map((key, i) => node("verify-node", i, key)),
  ];
}

/** Writes `<dir>/peer.key` (libp2p protobuf, mode 0600, as @opg/p2p's loadOrCreatePeerKey reads it). */
async function writePeerKey(node) {
  const privateKey = await generateKeyPairFromSeed("Ed25519", peerKeySeed(node.name));
  const file = join(node.dir, "peer.key");
  writeFileSync(file, privateKeyToProtobuf(privateKey), { mode: 0o600 });
  chmodSync(file, 0o600);
  return peerIdFromPrivateKey(privateKey).toString();
}

async function main() {
  log(`waiting for the chain at ${RPC_URL}`);
  await waitForChain();
  if (await alreadyDeployed()) {
    log(`the contracts of ${SUMMARY} are on the chain and the data dirs are prepared: nothing to do`);
    return;
  }

  // A fresh chain: whatever the volume holds refers to another one.
  rmSync(SUMMARY, { force: true });
  for (const kind of ["exec", "verify"]) {
    const count = kind === "exec" ? DEVNET.executors : DEVNET.verifiers;
    for (let i = 0; i < count; i++) rmSync(join(DATA_DIR, `${kind}-${i}`), { recursive: true, force: true });
  }
  rmSync(DEV_ROOT_DIR, { recursive: true, force: true });
  await DevRoot.loadOrCreate(DEV_ROOT_DIR);
  log(`development enclave root in ${DEV_ROOT_DIR}`);
  // The native devnet's models (files in the workspace or its npm packages), listed exactly as
  // Devnet.start lists them (ZK verifier contracts deployed first).
  // The ZK listings use the committed example key, sealed below: what `scripts/devnet --zk-setup
  // example` does. (The native default, the verifiers' phase-2 ceremony, is not run here yet.)
  const setups = await devnetModelSetups(devnetModels(), RPC_URL, { zk: "example" });
  const models = setups.map(({ model, setup }) => ({ ...model, setup }));

  log(
    `deploying the contracts, ${DEVNET.verifiers} verifiers (f = ${DEVNET.f}), ${DEVNET.executors} executors and ${models.length} model(s)`,
  );
  // The operators' commands, as Devnet.start runs them (deployments/<chainId>.json in DATA_DIR).
  const net = await deployDevnet({
    rpcUrl: RPC_URL,
    dir: DATA_DIR,
    verifiers: DEVNET.verifiers,
    executors: DEVNET.executors,
    f: DEVNET.f,
    models: models.map((m) => m.setup),
  });
  log(`InferenceHub at ${net.deployment.inferenceHub}`);
  // The verifier set seals the ZK listings' keys (settleWithProof refuses an unsealed key).
  const sealed = await sealDevnetZkKeys({ rpcUrl: RPC_URL, net, models: setups.map((m) => m.model) });
  if (sealed.length > 0) log(`${sealed.length} ZK listing key(s) sealed by the verifier set`);

  const nodes = daemons(net);
  for (const node of nodes) {
    await prepareNodeDir(node.dir, node.key, net.deployment);
    chmodSync(node.dir, 0o700);
    node.peerId = await writePeerKey(node);
    if (node.kind === "exec-node") {
      for (const m of models) {
        execFileSync(
          process.execPath,
          [daemonCliPath("exec-node"), "--data-dir", node.dir, "models", "add", m.file, "--name", m.name],
          { stdio: ["ignore", "ignore", "inherit"] },
        );
      }
    }
    log(`${node.name}: data dir ${node.dir} prepared, peer id ${node.peerId}`);
  }

  const summary = {
    chainId: net.deployment.chainId,
    rpcUrl: RPC_URL,
    deployment: deploymentToJson(net.deployment),
    devRootDir: DEV_ROOT_DIR,
    models: Object.fromEntries(models.map((m) => [m.name, m.setup.modelId])),
    // Funded dev accounts for clients (public keys of the devnet, like every dev account's).
    requesterKeys: net.requesterKeys,
    // The executors deliver their own on-chain results (compose.yml: OPG_DELIVERY_*), in topology order.
    executors: nodes.filter((n) => n.kind === "exec-node").map((n) => n.address),
    nodes: nodes.map((n) => ({
      name: n.name,
      kind: n.kind,
      dir: n.dir,
      http: `http://${n.name}:${n.httpPort}`,
      p2p: `/dns4/${n.name}/tcp/${n.p2pPort}/p2p/${n.peerId}`,
    })),
  };
  // Written last: its presence means the volume is complete.
  writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);
  log(`done; the devnet's addresses are in ${SUMMARY}`);
  for (const n of summary.nodes) log(`${n.name}: ${n.http}  ${n.p2p}`);
  for (const [name, id] of Object.entries(summary.models)) log(`model ${name}: ${id}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(
    `[deployer] error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
