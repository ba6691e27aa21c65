import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inferenceHubAbi, listingIdOf, modelRegistryAbi, modeMask } from "@opg/contracts";
import { P2PNode } from "@opg/p2p";
import {
  decodeResultMessage,
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  inferRequestBody,
  modelIdFromBytes,
  type OpgDomain,
  ProofMode,
  type ResultMessage,
  signExecutionResult,
  signInferenceRequest,
  type TensorMap,
  tensorsToJson,
} from "@opg/protocol";
import {
  DaemonProcess,
  daemonCliPath,
  deployBytecode,
  deployLocalNetwork,
  HardhatNode,
  type LocalNetwork,
  waitFor,
} from "@opg/testkit";
import {
  EXAMPLE_ARTIFACTS_DIR,
  EXAMPLE_ONNX_PATH,
  terminateZkEngine,
  vkHash,
  weightsCommitmentBytes32,
  ZkArtifactStore,
  type ZkArtifacts,
  ZkProver,
} from "@opg/zk";
import { deployZkContracts } from "@opg/zk/toolchain";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonNode, prepareDaemonNode, startArgs } from "./helpers/daemonNodes.js";

/**
 * ZK mode end to end with real processes: a hardhat node and the contracts (the Iris model
 * registered in ZK mode with its generated Groth16 verifier deployed and its weights commitment),
 * 1 opg-exec proving with @opg/zk, 3 opg-verify (f = 1) checking the proofs, on libp2p. Tampered
 * results are injected on the results topic by a test peer, signed with the executor's key.
 */

const IRIS_FILE = EXAMPLE_ONNX_PATH;
const IRIS_ID = modelIdFromBytes(readFileSync(IRIS_FILE));

const iris = (x: readonly number[]): TensorMap => ({
  input: { dtype: "float32", dims: [1, 4], data: new Float32Array(x) },
});

describe("ZK mode: proving executor, 3 verifiers (f = 1), real chain and libp2p", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let domain: OpgDomain;
  let exec: DaemonNode;
  const verifiers: DaemonNode[] = [];
  const injectors: P2PNode[] = [];
  let artifacts: ZkArtifacts;
  let commitment: Hex;
  let zkVerifier: Address;
  const prover = new ZkProver({ workers: 1 });
  let nonce = 0n;
  const root = mkdtempSync(join(tmpdir(), "opg-zk-"));

  beforeAll(async () => {
    const store = new ZkArtifactStore([EXAMPLE_ARTIFACTS_DIR]);
    artifacts = (await store.get(IRIS_ID))!;
    commitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment);
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    // The model's own Groth16 verifier: ZK-mode registration needs a contract with code.
    const deployed = await deployZkContracts(artifacts, (initCode) => deployBytecode(chain.rpcUrl, initCode));
    zkVerifier = deployed.adapter;
    net = await deployLocalNetwork({
      rpcUrl: chain.rpcUrl,
      verifiers: 3,
      executors: 1,
      f: 1,
      models: [
        {
          modelId: IRIS_ID,
          metadataURI: "test://iris-mlp",
          modes: modeMask(ProofMode.ZK, ProofMode.NONE),
          price: 0n,
          weightsCommitment: commitment,
          zkVerifier,
          vkHash: deployed.vkHash,
        },
      ],
    });
    domain = { chainId: net.deployment.chainId, verifyingContract: net.deployment.inferenceHub };
    exec = await prepareDaemonNode(root, "exec-node", 0, net.executorKeys[0]!, net.deployment);
    for (const [i, key] of net.verifierKeys.entries())
      verifiers.push(await prepareDaemonNode(root, "verify-node", i, key, net.deployment));
    const all = [exec, ...verifiers];
    execFileSync(process.execPath, [
      daemonCliPath("exec-node"),
      "--data-dir",
      exec.dir,
      "models",
      "add",
      IRIS_FILE,
      "--name",
      "iris-mlp",
    ]);
    exec.proc = new DaemonProcess(
      "exec-node",
      startArgs(exec, all, chain.rpcUrl, ["--republish-interval-ms", "3000", "--zk.enabled", "true"]),
      { logFile: join(exec.dir, "daemon.log"), httpUrl: exec.http },
    );
    for (const v of verifiers) {
      v.proc = new DaemonProcess(
        "verify-node",
        startArgs(v, all, chain.rpcUrl, [
          "--batching.max-batch-age-ms",
          "500",
          "--batching.leader-timeout-ms",
          "4000",
          "--zk.enabled",
          "true",
        ]),
        { logFile: join(v.dir, "daemon.log"), httpUrl: v.http },
      );
    }
    await Promise.all([...all.map((n) => n.proc.start()), prover.start()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(injectors.map((n) => n.stop()));
    await prover.stop();
    await terminateZkEngine();
    await Promise.all([exec, ...verifiers].map((n) => n?.proc?.kill("SIGTERM")));
    chain?.stop();
  });

  function signedRequest(inputs: TensorMap) {
    const n = nonce++;
    const requesterKey = net.requesterKeys[0]!;
    const request = {
      requester: privateKeyToAddress(requesterKey),
      modelId: IRIS_ID,
      inputHash: hashEncodedTensors(encodeTensors(inputs)),
      mode: ProofMode.ZK,
      nonce: n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
    };
    return { request, ...signInferenceRequest(requesterKey, domain, request) };
  }

  async function resultAt(v: DaemonNode, requestId: Hex): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(new URL(`/v1/results/${requestId}`, v.http), {
        signal: AbortSignal.timeout(2_000),
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async function atAll(requestId: Hex, status: string): Promise<boolean> {
    for (const v of verifiers) if ((await resultAt(v, requestId))?.["status"] !== status) return false;
    return true;
  }

  /** An outside libp2p node (its own peer id) connected to every verifier on the results topic. */
  async function startInjector(): Promise<P2PNode> {
    const injector = new P2PNode({
      chainId: net.deployment.chainId,
      peerKeyPath: join(root, `injector-${injectors.length}.key`),
      listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
      bootstrapPeers: verifiers.map((v) => v.p2p),
      gossip: { heartbeatIntervalMs: 100 },
    });
    injectors.push(injector);
    injector.subscribe(injector.topics.results, decodeResultMessage, () => {});
    await injector.start();
    await injector.waitForTopicPeers(injector.topics.results, 3, AbortSignal.timeout(60_000));
    return injector;
  }

  /** A result for a fresh request, proven here and signed with the executor's key, then `tamper`ed. */
  async function injected(tamper: (m: ResultMessage) => ResultMessage): Promise<Hex> {
    const inputs = iris([6.3, 3.3, 6.0, 2.5]);
    const { request, requestId, signature: requesterSignature } = signedRequest(inputs);
    const proven = await prover.prove(artifacts, inputs, privateKeyToAddress(net.executorKeys[0]!));
    const outputs = encodeTensors(proven.outputs);
    const honest: ResultMessage = {
      requestId,
      modelId: IRIS_ID,
      inputHash: request.inputHash,
      outputHash: hashEncodedTensors(outputs),
      executor: privateKeyToAddress(net.executorKeys[0]!),
      mode: ProofMode.ZK,
      outputs,
      proof: proven.proof,
      signature: "0x",
      origin: {
        type: "direct",
        requester: request.requester,
        nonce: request.nonce,
        deadline: request.deadline,
        requesterSignature,
      },
    };
    const m = tamper(honest);
    const signature = signExecutionResult(net.executorKeys[0]!, domain, {
      requestId: m.requestId,
      modelId: m.modelId,
      inputHash: m.inputHash,
      outputHash: m.outputHash,
      mode: m.mode,
    });
    // A peer that sends an invalid result is charged and may be refused afterwards, and refused
    // messages are not forwarded: each forgery comes from a fresh outside node, a direct topic
    // peer of every verifier.
    const injector = await startInjector();
    await injector.publish(injector.topics.results, encodeResultMessage({ ...m, signature }));
    return requestId;
  }

  it("default: a ZK request on the Iris model settles through the quorum", async () => {
    const inputs = iris([5.1, 3.5, 1.4, 0.2]);
    const { request, requestId, signature } = signedRequest(inputs);
    const res = await fetch(new URL("/v1/infer", exec.http), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(inferRequestBody(request, signature, tensorsToJson(inputs))),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as {
      proof: { mode: string; status: string; bytes: number };
      outputs: Record<string, { dtype: string }>;
    };
    expect(body.proof).toMatchObject({ mode: "ZK", status: "attached", bytes: 427 });
    expect(body.outputs["logits"]).toMatchObject({ dtype: "int64" });

    await waitFor(`${requestId} settled at every verifier`, () => atAll(requestId, "settled"));
    const r = (await resultAt(verifiers[0]!, requestId))!;
    expect(r["mode"]).toBe("ZK");
    expect(
      await net.publicClient.readContract({
        address: net.deployment.inferenceHub,
        abi: inferenceHubAbi,
        functionName: "verifyResult",
        args: [
          BigInt(r["batchId"] as string),
          requestId,
          r["modelId"] as Hex,
          r["inputHash"] as Hex,
          r["outputHash"] as Hex,
          r["executor"] as Hex,
          r["proof"] as Hex[],
        ],
      }),
    ).toBe(true);
    // What the verifiers checked the proof against is what the listing holds.
    const listing = await net.publicClient.readContract({
      address: net.deployment.modelRegistry,
      abi: modelRegistryAbi,
      functionName: "getListing",
      args: [listingIdOf(IRIS_ID, net.deployment.deployer)],
    });
    expect([listing.weightsCommitment, listing.zkVerifier, listing.vkHash]).toEqual([
      commitment,
      zkVerifier,
      vkHash(artifacts.vkey),
    ]);
  }, 120_000);

  it("error: a result whose outputs differ from the proven ones is rejected (BAD_PROOF)", async () => {
    const id = await injected((m) => {
      const outputs = Uint8Array.from(m.outputs);
      outputs[outputs.length - 1]! ^= 1;
      return { ...m, outputs, outputHash: hashEncodedTensors(outputs) };
    });
    await waitFor(`${id} rejected at every verifier`, () => atAll(id, "rejected"));
    for (const v of verifiers) {
      expect(await resultAt(v, id)).toMatchObject({
        status: "rejected",
        reason: { code: "BAD_PROOF", cause: "BINDING_MISMATCH" },
      });
    }
  }, 120_000);

  it("error: a tampered proof is rejected (BAD_PROOF)", async () => {
    const id = await injected((m) => {
      const proof = Uint8Array.from(m.proof);
      // A = the G1 generator (1, 2): a valid point, a wrong proof.
      proof.fill(0, 2, 66);
      proof[33] = 1;
      proof[65] = 2;
      return { ...m, proof };
    });
    await waitFor(`${id} rejected at every verifier`, () => atAll(id, "rejected"));
    for (const v of verifiers) {
      expect(await resultAt(v, id)).toMatchObject({
        status: "rejected",
        reason: { code: "BAD_PROOF", cause: "INVALID_PROOF" },
      });
    }
    // Nothing of the tampered results reaches the chain: the batches hold the one honest result.
    const batches = await net.publicClient.getContractEvents({
      address: net.deployment.inferenceHub,
      abi: inferenceHubAbi,
      eventName: "BatchSettled",
      fromBlock: net.deployment.startBlock,
    });
    expect(batches.reduce((n, l) => n + Number(l.args.count), 0)).toBe(1);
  }, 120_000);
});
