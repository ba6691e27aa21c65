/**
 * Test doubles for the SDK's unit tests: a real in-process chain with the opg contracts, and a small HTTP
 * server playing executor and verifier, honest or lying on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { startDevChain } from "@opg/contracts/dev-chain";
import {
  encodeTensors,
  type OpgDomain,
  ProofMode,
  ResultBatchTree,
  type ResultFields,
  signBatchRoot,
} from "@opg/protocol";
import { deployLocalNetwork, type LocalNetwork } from "@opg/testkit";
import { bytesToHex, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const MODEL_ID: Hex = keccak256(toHex("sdk-test-model"));
export const PRICE = 1_000n;

/** A dev chain with the contracts, 3 verifiers (f = 1), 1 executor and a NONE-mode model. */
export async function startTestChain() {
  const chain = await startDevChain();
  const net: LocalNetwork = await deployLocalNetwork({
    rpcUrl: chain.rpcUrl,
    verifiers: 3,
    executors: 1,
    f: 1,
    models: [{ modelId: MODEL_ID, metadataURI: "test://sdk", modes: modeMask(ProofMode.NONE), price: PRICE }],
  });
  const domain: OpgDomain = { chainId: chain.chainId, verifyingContract: net.deployment.inferenceHub };
  const client = createChainClient({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
  const sender = new TxSender(
    { receiptPollIntervalMs: 50 },
    { client, account: privateKeyToAccount(net.deployerKey) },
  );
  sender.start();
  const contracts = new OpgContracts(net.deployment, { client, sender });
  let nextBatchId = 1n;

  /** Settles a batch over `results` with f + 1 verifier signatures; returns the tree and batch id. */
  async function settle(results: readonly ResultFields[]) {
    const tree = ResultBatchTree.of(results);
    const header = {
      configDigest: await contracts.registry.getConfigDigest(),
      batchId: nextBatchId++,
      root: tree.root,
      count: tree.count,
    };
    const signatures = net.verifierKeys.slice(0, 2).map((k) => signBatchRoot(k, domain, header));
    await contracts.hub.settleBatch(header, signatures);
    return { tree, batchId: header.batchId };
  }

  return {
    chain,
    net,
    domain,
    contracts,
    settle,
    async stop() {
      sender.stop();
      await chain.close();
    },
  };
}

type Handler = (req: IncomingMessage, body: unknown) => { status: number; body: unknown } | undefined;

/** An HTTP server whose answers the test sets per route (`POST /v1/infer`, `GET /v1/results/:id`). */
export class FakeService {
  private server: Server | undefined;
  url = "";
  /** Called for each request; `undefined` answers 404. */
  handler: Handler = () => undefined;
  requests = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const answer = this.handler(req, text ? JSON.parse(text) : undefined) ?? {
      status: 404,
      body: { error: { code: "NOT_FOUND", message: "no route" } },
    };
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(JSON.stringify(answer.body));
  }
}

/** The canonical encoding of `C = [values]` (float32 [1, n]). */
export function outputsOf(values: readonly number[]) {
  const tensors = {
    C: { dtype: "float32" as const, dims: [1, values.length], data: new Float32Array(values) },
  };
  const hex = bytesToHex(encodeTensors(tensors));
  return { tensors, hex, hash: keccak256(hex) };
}
