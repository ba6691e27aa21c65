/**
 * Executor self-delivery on a real chain, all daemons as processes: a hardhat node with the opg
 * contracts, one opg-exec and one opg-verify (f = 0) on libp2p, the testkit `add` model in mode
 * NONE. A requester asks on chain with a callback (the MockConsumer contract) and escrows its gas;
 * the executor delivers the settled result itself, is paid the fee (less the verifier's share) and
 * reimbursed the callback's gas from the escrow, and the rest of the escrow goes back to the
 * requester. Then the executor is killed after its result settled and before it could deliver; on
 * restart it delivers exactly once. Both daemons' fee gauges follow the hub, and `withdraw` pays
 * each key out.
 *
 * Needs the daemons built (`pnpm build`): they run from dist.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClient, InferenceHubActions, OpgContracts, TxSender } from "@opg/chain";
import {
  inferenceHubAbi,
  listingIdOf,
  mockConsumerAbi,
  mockConsumerBytecode,
  modeMask,
} from "@opg/contracts";
import { loadOrCreatePeerKey, peerIdString } from "@opg/p2p";
import { encodeTensors, modelIdFromBytes, ProofMode } from "@opg/protocol";
import {
  addModel,
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  freePort,
  HardhatNode,
  type LocalNetwork,
  prepareNodeDir,
  waitFor,
} from "@opg/testkit";
import {
  type Address,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  parseEventLogs,
  parseGwei,
  toFunctionSelector,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MODEL = addModel();
const MODEL_ID = modelIdFromBytes(MODEL);
const PRICE = 10n ** 15n; // 0.001 ETH
const VERIFIER_SHARE = PRICE / 10n; // InferenceHub.DEFAULT_VERIFIER_FEE_BPS
const CALLBACK_GAS_LIMIT = 200_000;
const CALLBACK_GAS_PRICE = parseGwei("50"); // the requester's bound, above the local chain's gas price
const ESCROW = BigInt(CALLBACK_GAS_LIMIT) * CALLBACK_GAS_PRICE;
const DELIVER_SELECTOR = toFunctionSelector(
  inferenceHubAbi.find((i) => i.type === "function" && i.name === "deliver")!,
);

type Node = { proc: DaemonProcess; http: string; dir: string; p2p: string; port: number };

/** One sample of a Prometheus text exposition: metric `name` with (at least) `labels`. */
async function metric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(new URL("/metrics", url))).text();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

describe("opg-exec delivers its own settled results on a real chain and is paid", {
  timeout: 300_000,
}, () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let exec: Node;
  let verifier: Node;
  let execArgs: string[];
  let hub: InferenceHubActions;
  let requester: OpgContracts;
  let consumer: Address;
  let proxy: Server;
  /** While true the executor's verifier URL (a proxy in front of the verifier's API) answers 503. */
  let blockProofs = false;
  /** Paths the proxy refused while blocked. */
  const refused: string[] = [];
  const senders: TxSender[] = [];
  const root = mkdtempSync(join(tmpdir(), "opg-self-delivery-"));
  const client = () => createChainClient({ rpcUrl: chain.rpcUrl, chainId: 31337 });
  const executor = () => privateKeyToAddress(net.executorKeys[0]!);
  const verifierSigner = () => privateKeyToAddress(net.verifierKeys[0]!);
  const requesterAddress = () => privateKeyToAddress(net.requesterKeys[0]!);

  beforeAll(async () => {
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 1,
      executors: 1,
      f: 0,
      models: [
        { modelId: MODEL_ID, metadataURI: "test://add", modes: modeMask(ProofMode.NONE), price: PRICE },
      ],
    });
    const prepare = async (kind: string, key: Hex): Promise<Node> => {
      const dir = join(root, kind);
      await prepareNodeDir(dir, key, net.deployment);
      const port = await freePort();
      const peer = peerIdString((await loadOrCreatePeerKey(join(dir, "peer.key"))).privateKey);
      return {
        dir,
        port,
        http: `http://127.0.0.1:${await freePort()}`,
        p2p: `/ip4/127.0.0.1/tcp/${port}/p2p/${peer}`,
        proc: undefined as unknown as DaemonProcess,
      };
    };
    exec = await prepare("exec", net.executorKeys[0]!);
    verifier = await prepare("verify", net.verifierKeys[0]!);

    // The executor asks the verifier for Merkle proofs through this proxy (to hold them back on cue).
    proxy = createServer((req, res) => {
      if (blockProofs) {
        refused.push(req.url ?? "");
        res.writeHead(503).end();
        return;
      }
      fetch(new URL(req.url ?? "/", verifier.http))
        .then(async (r) => {
          res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    const common = (node: Node) => [
      ...["--data-dir", node.dir, "start", "--keystore.password-file", "password"],
      ...["--http.port", new URL(node.http).port, "--chain.rpc-url", chain.rpcUrl],
      ...["--chain.poll-interval-ms", "200", "--p2p.listen", `/ip4/127.0.0.1/tcp/${node.port}`],
      ...["--p2p.heartbeat-ms", "200", "--log.format", "json"],
    ];
    writeFileSync(join(exec.dir, "add.onnx"), MODEL);
    execFileSync(process.execPath, [
      daemonCliPath("exec-node"),
      ...["--data-dir", exec.dir, "models", "add", join(exec.dir, "add.onnx")],
    ]);
    execArgs = [
      ...common(exec),
      ...["--delivery.verifier-urls", proxyUrl, "--delivery.recheck-ms", "1000"],
      ...["--delivery.retry-base-ms", "500"],
    ];
    exec.proc = new DaemonProcess("exec-node", execArgs, {
      logFile: join(exec.dir, "daemon.log"),
      httpUrl: exec.http,
    });
    verifier.proc = new DaemonProcess(
      "verify-node",
      [...common(verifier), "--p2p.peers", exec.p2p, "--batching.max-batch-age-ms", "300"],
      { logFile: join(verifier.dir, "daemon.log"), httpUrl: verifier.http },
    );
    await exec.proc.start();
    await verifier.proc.start();

    const sender = new TxSender(
      { chainId: 31337, receiptPollIntervalMs: 100 },
      { client: client(), account: privateKeyToAccount(net.requesterKeys[0]!) },
    );
    sender.start();
    senders.push(sender);
    requester = new OpgContracts(net.deployment, { client: client(), sender });
    hub = new InferenceHubActions(net.deployment.inferenceHub, { client: client() });
    const deployer = createWalletClient({
      account: privateKeyToAccount(net.requesterKeys[0]!),
      chain: hardhat,
      transport: http(chain.rpcUrl),
    });
    const hash = await deployer.deployContract({
      abi: mockConsumerAbi,
      bytecode: mockConsumerBytecode,
      args: [net.deployment.inferenceHub],
    });
    consumer = (await net.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  }, 300_000);

  afterAll(async () => {
    for (const s of senders) s.stop();
    await Promise.all([exec, verifier].map((n) => n?.proc?.kill("SIGTERM")));
    proxy?.close();
    chain?.stop();
  });

  /** An on-chain request for the add model, with a callback to the consumer and its gas escrowed. */
  async function request(n: number) {
    const now = (await net.publicClient.getBlock()).timestamp;
    const input = encodeTensors({
      A: { dtype: "float32", dims: [1, 3], data: new Float32Array([n, n + 1, n + 2]) },
      B: { dtype: "float32", dims: [1, 3], data: new Float32Array([1, 1, 1]) },
    });
    return requester.hub.requestInference({
      listingId: listingIdOf(MODEL_ID, net.deployment.deployer),
      mode: ProofMode.NONE,
      input: `0x${Buffer.from(input).toString("hex")}`,
      deadline: now + 3_600n,
      callback: consumer,
      callbackGasLimit: CALLBACK_GAS_LIMIT,
      callbackGasPrice: CALLBACK_GAS_PRICE,
    });
  }

  /** Every `deliver` transaction the executor's key sent from `fromBlock` on, with its receipt. */
  async function executorDeliveries(fromBlock: bigint) {
    const latest = await net.publicClient.getBlockNumber();
    const found = [];
    for (let b = fromBlock; b <= latest; b++) {
      const block = await net.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
      for (const tx of block.transactions) {
        if (getAddress(tx.from) === executor() && tx.input.startsWith(DELIVER_SELECTOR))
          found.push(await net.publicClient.getTransactionReceipt({ hash: tx.hash }));
      }
    }
    return found;
  }

  it("default: the executor delivers its settled result; it is paid the fee and the callback's gas, the rest of the escrow is refunded", async () => {
    const req = await request(1);
    expect(req.request.fee).toBe(PRICE);
    const from = req.tx.receipt.blockNumber;
    await waitFor("delivery", async () => (await hub.requestStatus(req.requestId)) === "delivered");

    const [receipt, ...more] = await executorDeliveries(from);
    expect(more).toEqual([]);
    expect(receipt!.status).toBe("success");
    const [delivered] = parseEventLogs({
      abi: inferenceHubAbi,
      logs: receipt!.logs,
      eventName: "ResultDelivered",
    });
    expect(delivered!.args).toMatchObject({
      requestId: req.requestId,
      executor: executor(),
      callbackSuccess: true,
    });
    const [gas] = parseEventLogs({
      abi: inferenceHubAbi,
      logs: receipt!.logs,
      eventName: "CallbackGasReimbursed",
    });
    // Reimbursed at min(the transaction's gas price, the requester's bound).
    let price = CALLBACK_GAS_PRICE;
    if (receipt!.effectiveGasPrice < price) price = receipt!.effectiveGasPrice;
    const paid = gas!.args.gasUsed * price;
    expect(gas!.args).toMatchObject({ requestId: req.requestId, deliverer: executor(), paid });
    expect(paid).toBeGreaterThan(0n);
    expect(paid).toBeLessThan(ESCROW);

    // The executor: its fee less the verifier's share, plus the callback's gas. The settling
    // verifier: its share. The requester: the unused escrow.
    expect(await hub.balanceOf(executor())).toBe(PRICE - VERIFIER_SHARE + paid);
    expect(await hub.balanceOf(verifierSigner())).toBe(VERIFIER_SHARE);
    expect(await hub.balanceOf(requesterAddress())).toBe(ESCROW - paid);

    // The consumer got the output.
    const calls = await net.publicClient.readContract({
      address: consumer,
      abi: mockConsumerAbi,
      functionName: "calls",
    });
    expect(calls).toBe(1n);

    // Both daemons' metrics: deliveries by outcome, and the fees the hub holds for their key.
    expect(await metric(exec.http, "opg_exec_deliveries_total", { outcome: "delivered" })).toBe(1);
    await waitFor(
      "the executor's fee gauge",
      async () =>
        (await metric(exec.http, "opg_exec_fees_earned_wei")) === Number(PRICE - VERIFIER_SHARE + paid),
    );
    // The fee split, as both daemons see it on the hub.
    for (const [url, name] of [
      [exec.http, "opg_exec_verifier_fee_share_bps"],
      [verifier.http, "opg_verify_verifier_fee_share_bps"],
    ] as const)
      await waitFor(name, async () => (await metric(url, name)) === 1000);
    await waitFor(
      "the verifier's fee gauge",
      async () => (await metric(verifier.http, "opg_verify_fees_earned_wei")) === Number(VERIFIER_SHARE),
    );
  });

  it("behavior: killed after its result settled and before delivering, the executor delivers it exactly once on restart", async () => {
    blockProofs = true; // the executor cannot fetch the Merkle proof, so it cannot deliver yet
    const before = await hub.balanceOf(executor());
    const req = await request(2);
    const from = req.tx.receipt.blockNumber;
    // Settled on chain (the verifier's API says so), not delivered.
    await waitFor("settlement", async () => {
      const res = await fetch(new URL(`/v1/results/${req.requestId}`, verifier.http));
      return res.status === 200 && ((await res.json()) as { status?: string }).status === "settled";
    });
    // The executor, up, has asked for the proof (through the blocked proxy) since the settlement.
    refused.length = 0;
    await waitFor("a refused proof lookup", async () => refused.some((p) => p.includes(req.requestId)));
    expect(await hub.requestStatus(req.requestId)).toBe("pending");
    await exec.proc.kill("SIGKILL");

    blockProofs = false;
    exec.proc = new DaemonProcess("exec-node", execArgs, {
      logFile: join(exec.dir, "daemon.log"),
      httpUrl: exec.http,
    });
    await exec.proc.start();
    await waitFor(
      "delivery after the restart",
      async () => (await hub.requestStatus(req.requestId)) === "delivered",
    );
    // Exactly once: one deliver transaction from the executor, one ResultDelivered event.
    const sent = await executorDeliveries(from);
    expect(sent.map((r) => r.status)).toEqual(["success"]);
    const events = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "ResultDelivered",
      args: { requestId: req.requestId },
      fromBlock: from,
    });
    expect(events).toHaveLength(1);
    expect(await hub.balanceOf(executor())).toBeGreaterThan(before + PRICE - VERIFIER_SHARE);
    expect(await metric(exec.http, "opg_exec_deliveries_total", { outcome: "delivered" })).toBe(1);
    // Nothing left to deliver, and nothing sent again a little later.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await executorDeliveries(from)).toHaveLength(1);
  });

  it("default: `opg-exec withdraw` and `opg-verify withdraw` pay out what the hub holds for each key", async () => {
    await Promise.all([exec, verifier].map((n) => n.proc.kill("SIGTERM")));
    for (const node of [exec, verifier]) {
      const signer = node === exec ? executor() : verifierSigner();
      const amount = await hub.balanceOf(signer);
      expect(amount).toBeGreaterThan(0n);
      const to = privateKeyToAddress(generatePrivateKey());
      const out = execFileSync(
        process.execPath,
        [
          daemonCliPath(node === exec ? "exec-node" : "verify-node"),
          ...["--data-dir", node.dir, "withdraw", "--to", to],
          ...["--keystore.password-file", "password", "--chain.rpc-url", chain.rpcUrl],
        ],
        { encoding: "utf8" },
      );
      expect(JSON.parse(out)).toMatchObject({ account: signer, to });
      expect(await net.publicClient.getBalance({ address: to })).toBe(amount);
      expect(await hub.balanceOf(signer)).toBe(0n);
    }
  });
});
