/**
 * The SDK against a real mini network, all as processes: a hardhat node with the opg contracts, one
 * opg-exec and three opg-verify (f = 1) on libp2p, the testkit `add` ONNX model (C = A + B) registered in
 * mode NONE, and the example dApp (contracts/examples/ExampleClassifierConsumer.sol).
 *
 * Needs the daemons built (`npx tsc -b`): they run from dist.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  exampleClassifierConsumerAbi,
  exampleClassifierConsumerBytecode,
  listingIdOf,
  modeMask,
} from "@opg/contracts";
import { encodeTensors, modelIdFromBytes, ProofMode, type TensorMap } from "@opg/protocol";
import {
  addModel,
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  freePort,
  HardhatNode,
  type LocalNetwork,
  prepareNodeDir,
} from "@opg/testkit";
import {
  type Address,
  bytesToHex,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
} from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpgClient, type OpgClient } from "../src/index.js";

const MODEL = addModel();
const MODEL_ID = modelIdFromBytes(MODEL);
const PRICE = 1_000n;
const LABELS = ["cat", "dog", "bird"];

/** The peer key helpers of @opg/p2p, loaded the way the daemons load them (no dependency of the SDK). */
async function peerKeys(): Promise<(keyFile: string) => Promise<string>> {
  const fromVerifyNode = createRequire(join(daemonCliPath("verify-node"), "..", "..", "package.json"));
  const p2p = (await import(pathToFileURL(fromVerifyNode.resolve("@opg/p2p")).href)) as {
    loadOrCreatePeerKey(path: string): Promise<{ privateKey: unknown }>;
  };
  const peerId = (await import(pathToFileURL(fromVerifyNode.resolve("@libp2p/peer-id")).href)) as {
    peerIdFromPrivateKey(key: unknown): { toString(): string };
  };
  return async (keyFile) =>
    peerId.peerIdFromPrivateKey((await p2p.loadOrCreatePeerKey(keyFile)).privateKey).toString();
}

type Node = { proc: DaemonProcess; http: string; dir: string; p2p: string; port: number };

const inputsOf = (a: readonly number[]): TensorMap => ({
  A: { dtype: "float32", dims: [1, 3], data: new Float32Array(a) },
  B: { dtype: "float32", dims: [1, 3], data: new Float32Array([1, 1, 1]) },
});

describe("@opg/sdk end to end: hardhat node, 1 opg-exec, 3 opg-verify (f = 1), example dApp", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let exec: Node;
  const verifiers: Node[] = [];
  const root = mkdtempSync(join(tmpdir(), "opg-sdk-e2e-"));
  const clients: OpgClient[] = [];

  function sdk(accountKey: Hex): OpgClient {
    const opg = createOpgClient({
      rpcUrl: chain.rpcUrl,
      hub: net.deployment.inferenceHub,
      execUrl: exec.http,
      verifyUrl: verifiers.map((v) => v.http),
      account: accountKey,
      publisher: net.deployment.deployer,
      chainId: net.deployment.chainId,
      pollIntervalMs: 200,
    });
    clients.push(opg);
    return opg;
  }

  beforeAll(async () => {
    const peerIdOf = await peerKeys();
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [
        { modelId: MODEL_ID, metadataURI: "test://add", modes: modeMask(ProofMode.NONE), price: PRICE },
      ],
    });
    const prepare = async (kind: string, i: number, key: Hex): Promise<Node> => {
      const dir = join(root, `${kind}-${i}`);
      await prepareNodeDir(dir, key, net.deployment);
      const port = await freePort();
      return {
        dir,
        port,
        http: `http://127.0.0.1:${await freePort()}`,
        p2p: `/ip4/127.0.0.1/tcp/${port}/p2p/${await peerIdOf(join(dir, "peer.key"))}`,
        proc: undefined as unknown as DaemonProcess,
      };
    };
    exec = await prepare("exec", 0, net.executorKeys[0]!);
    for (const [i, key] of net.verifierKeys.entries()) verifiers.push(await prepare("verify", i, key));
    const all = [exec, ...verifiers];
    const args = (node: Node, extra: string[]) => [
      ...["--data-dir", node.dir, "start", "--keystore.password-file", "password"],
      ...[
        "--http.port",
        new URL(node.http).port,
        "--chain.rpc-url",
        chain.rpcUrl,
        "--chain.poll-interval-ms",
        "200",
      ],
      ...[
        "--p2p.listen",
        `/ip4/127.0.0.1/tcp/${node.port}`,
        "--p2p.heartbeat-ms",
        "200",
        "--log.format",
        "json",
      ],
      ...["--p2p.peers", ...all.filter((p) => p !== node).map((p) => p.p2p)],
      ...extra,
    ];
    // The model, through the real CLI: `opg-exec models add`.
    writeFileSync(join(exec.dir, "add.onnx"), MODEL);
    execFileSync(process.execPath, [
      daemonCliPath("exec-node"),
      "--data-dir",
      exec.dir,
      "models",
      "add",
      join(exec.dir, "add.onnx"),
    ]);
    exec.proc = new DaemonProcess("exec-node", args(exec, ["--republish-interval-ms", "3000"]), {
      logFile: join(exec.dir, "daemon.log"),
      httpUrl: exec.http,
    });
    for (const v of verifiers) {
      v.proc = new DaemonProcess(
        "verify-node",
        args(v, ["--batching.max-batch-age-ms", "300", "--batching.leader-timeout-ms", "4000"]),
        { logFile: join(v.dir, "daemon.log"), httpUrl: v.http },
      );
    }
    await Promise.all(all.map((n) => n.proc.start()));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([exec, ...verifiers].map((n) => n?.proc?.kill("SIGTERM")));
    chain?.stop();
  });

  it("default: requestDirect → waitForSettlement → verifyResult is verified against the chain", async () => {
    const opg = sdk(net.requesterKeys[0]!);
    const direct = await opg.requestDirect({ modelId: MODEL_ID, inputs: inputsOf([0.5, 3, 1]) });
    expect(direct.executor).toBe(privateKeyToAddress(net.executorKeys[0]!));
    expect(direct.outputs["C"]).toEqual({
      dtype: "float32",
      dims: [1, 3],
      data: new Float32Array([1.5, 4, 2]),
    });

    const settled = await opg.waitForSettlement(direct.requestId, { timeoutMs: 60_000 });
    expect(settled).toMatchObject({
      status: "settled",
      outputHash: direct.outputHash,
      executor: direct.executor,
    });
    expect(settled.settlementTx).toMatch(/^0x[0-9a-f]{64}$/);

    const verification = await opg.verifyResult(direct.requestId);
    expect(verification).toMatchObject({
      verified: true,
      batchId: settled.batchId,
      root: settled.root,
      outputHash: direct.outputHash,
      resultHash: direct.resultHash,
    });
    expect(verification.outputs?.["C"]?.data).toEqual(new Float32Array([1.5, 4, 2]));
    // Any verifier's word is checked the same way, and agrees.
    const other = createOpgClient({
      rpcUrl: chain.rpcUrl,
      hub: net.deployment.inferenceHub,
      verifyUrl: verifiers[2]!.http,
      pollIntervalMs: 200,
    });
    await other.waitForSettlement(direct.requestId, { timeoutMs: 30_000 });
    expect((await other.verifyResult(direct.requestId)).verified).toBe(true);
  });

  it("default: the example dApp requests on chain, the SDK delivers, the dApp stores the argmax", async () => {
    const user = createWalletClient({
      account: privateKeyToAccount(net.requesterKeys[1]!),
      chain: hardhat,
      transport: http(chain.rpcUrl),
    });
    const deployHash = await user.deployContract({
      abi: exampleClassifierConsumerAbi,
      bytecode: exampleClassifierConsumerBytecode,
      args: [
        net.deployment.inferenceHub,
        listingIdOf(MODEL_ID, net.deployment.deployer),
        ProofMode.NONE,
        "C",
        LABELS,
        300_000,
      ],
    });
    const dApp = getAddress(
      (await net.publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress!,
    );

    // The dApp requests (it pays and is its own callback); an SDK on-chain request goes along.
    const input = bytesToHex(encodeTensors(inputsOf([0.5, 3, 1])));
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3_600);
    const classifyHash = await user.writeContract({
      address: dApp,
      abi: exampleClassifierConsumerAbi,
      functionName: "classify",
      args: [input, 0n, deadline],
      value: PRICE,
    });
    const receipt = await net.publicClient.waitForTransactionReceipt({ hash: classifyHash });
    const [requested] = parseEventLogs({
      abi: exampleClassifierConsumerAbi,
      logs: receipt.logs,
      eventName: "ClassificationRequested",
    });
    const requestId = requested!.args.requestId;
    const opg = sdk(net.requesterKeys[2]!);
    const own = await opg.requestOnChain({ modelId: MODEL_ID, inputs: inputsOf([5, -2, 0]) });
    expect(own.request).toMatchObject({ fee: PRICE, callback: "0x0000000000000000000000000000000000000000" });

    // Anyone with the SDK delivers once settled: here a third account that made neither request.
    const deliverer = sdk(net.requesterKeys[3]!);
    const [dAppSettled, ownSettled] = await Promise.all([
      deliverer.waitForSettlement(requestId, { timeoutMs: 60_000 }),
      opg.waitForSettlement(own.requestId, { timeoutMs: 60_000 }),
    ]);
    expect(ownSettled.outputs["C"]!.data).toEqual(new Float32Array([6, -1, 1]));
    const delivery = await deliverer.deliver(requestId);
    expect(delivery).toMatchObject({ callbackSuccess: true, outputHash: dAppSettled.outputHash });
    const ownDelivery = await opg.deliver(own.requestId);
    expect(ownDelivery.callbackSuccess).toBe(false);
    expect(await opg.requestStatus(own.requestId)).toBe("delivered");

    // The dApp decoded C = [1.5, 4, 2] on chain: class 1, "dog".
    const read = <T>(functionName: "classifications" | "labelOf", args: [Hex]) =>
      net.publicClient.readContract({
        address: dApp,
        abi: exampleClassifierConsumerAbi,
        functionName,
        args,
      }) as Promise<T>;
    const [requester, status, classIndex, scoreBits, outputHash] = await read<
      [Address, number, number, number, Hex]
    >("classifications", [requestId]);
    expect({ requester, status, classIndex, scoreBits, outputHash }).toEqual({
      requester: getAddress(user.account.address),
      status: 2,
      classIndex: 1,
      scoreBits: new DataView(new Float32Array([4]).buffer).getUint32(0, true),
      outputHash: keccak256(bytesToHex(encodeTensors(delivery.outputs))),
    });
    expect(outputHash).toBe(delivery.outputHash);
    expect(await read<string>("labelOf", [requestId])).toBe("dog");
    expect(await opg.requestStatus(requestId)).toBe("delivered");
  });
});
