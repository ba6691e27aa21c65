import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { listingIdOf, modeMask } from "@opg/contracts";
import { encodeTensors, ProofMode, type TensorMap } from "@opg/protocol";
import {
  daemonCliPath,
  deployLocalNetwork,
  HardhatNode,
  type LocalNetwork,
  prepareNodeDir,
} from "@opg/testkit";
import {
  EXAMPLE_ARTIFACTS_DIR,
  EXAMPLE_ONNX_PATH,
  readTranscript,
  settlementProof,
  vkHash,
  weightsCommitmentBytes32,
  ZkArtifactStore,
  type ZkArtifacts,
  ZkProver,
} from "@opg/zk";
import { type Address, bytesToHex, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerZkModel } from "../src/zk/registerZkModel.js";
import type { ZkCeremonyStart } from "../src/zk/zkCeremony.js";

const IRIS = EXAMPLE_ONNX_PATH;

function cli(args: string[], pkg: "exec-node" | "verify-node" = "exec-node"): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [daemonCliPath(pkg), ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
}

type AddOutput = {
  modelId: Hex;
  zk: {
    action: string;
    listingId: Hex;
    vkHash: Hex;
    zkVerifier: Address;
    weightsCommitment: Hex;
    artifactKey: string;
    constraints: number;
  };
};

/**
 * The trustless ZK path on a real chain: `opg-exec models add --zk` deploys the model's verifier
 * contracts and registers them; a real Groth16 proof then settles an on-chain request through
 * InferenceHub.settleWithProof → PoseidonGroth16Adapter → the generated verifier.
 */
describe("ZK on chain: models add --zk, then settleWithProof with a real proof", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  let prover: ZkProver;
  let artifacts: ZkArtifacts;
  const dir = join(mkdtempSync(join(tmpdir(), "opg-zk-onchain-")), "node");
  const senders: TxSender[] = [];

  /** Typed contract actions sending from a dev key. */
  function contractsFor(key: Hex, deployment = net.deployment): OpgContracts {
    return senderFor(key, deployment).contracts;
  }

  function senderFor(key: Hex, deployment = net.deployment) {
    const client = createChainClient({ rpcUrl: chain.rpcUrl, chainId: 31337 });
    const sender = new TxSender({ chainId: 31337 }, { client, account: privateKeyToAccount(key) });
    sender.start();
    senders.push(sender);
    return { sender, contracts: new OpgContracts(deployment, { client, sender }) };
  }

  beforeAll(async () => {
    chain = await HardhatNode.start();
    net = await deployLocalNetwork({ rpcUrl: chain.rpcUrl, verifiers: 1, executors: 1, f: 0 });
    await prepareNodeDir(dir, net.executorKeys[0]!, net.deployment);
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        keystore: { path: "keystore.json", passwordFile: "password" },
        chain: { rpcUrl: chain.rpcUrl },
      }),
    );
    // The committed example artifacts stand for a cache hit (no Groth16 setup in tests).
    cpSync(EXAMPLE_ARTIFACTS_DIR, join(dir, "zk-artifacts"), { recursive: true });
    const store = new ZkArtifactStore([EXAMPLE_ARTIFACTS_DIR]);
    await store.scan();
    const [modelId] = store.models();
    artifacts = (await store.get(modelId as Hex))!;
    prover = new ZkProver({ workers: 1 });
    await prover.start();
  }, 120_000);

  afterAll(async () => {
    for (const s of senders) s.stop();
    await prover?.stop();
    chain?.stop();
  });

  let listingId: Hex;

  it("default: models add --zk --solo-setup (devnets) deploys the adapter and creates a listing (its id printed); a rerun changes nothing", async () => {
    const add = cli(["--data-dir", dir, "models", "add", IRIS, "--zk", "--solo-setup", "--price", "0.001"]);
    expect(add.status, add.stderr).toBe(0);
    const out = JSON.parse(add.stdout) as AddOutput;
    expect(out.modelId).toBe(artifacts.manifest.modelId);
    const publisher = privateKeyToAccount(net.executorKeys[0]!).address;
    listingId = listingIdOf(out.modelId, publisher);
    expect(out.zk).toMatchObject({
      action: "listed",
      listingId,
      vkHash: vkHash(artifacts.vkey),
      artifactKey: artifacts.manifest.artifactKey,
      weightsCommitment: weightsCommitmentBytes32(artifacts.manifest.weightsCommitment),
    });
    const listing = await contractsFor(net.requesterKeys[0]!).models.getListing(listingId);
    expect(listing).toMatchObject({
      modelId: out.modelId,
      owner: publisher,
      zkVerifier: out.zk.zkVerifier,
      weightsCommitment: out.zk.weightsCommitment,
      vkHash: out.zk.vkHash,
      zkKeySealed: false,
      modes: modeMask(ProofMode.NONE, ProofMode.ZK),
      price: 10n ** 15n,
    });
    const again = cli(["--data-dir", dir, "models", "add", IRIS, "--zk", "--solo-setup"]);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as AddOutput).zk).toMatchObject({
      action: "unchanged",
      listingId,
      zkVerifier: out.zk.zkVerifier,
    });
  });

  it("default: a real proof settles the request and pays the executor; another executor or output cannot use it", async () => {
    const requester = contractsFor(net.requesterKeys[0]!);
    const anyone = contractsFor(net.requesterKeys[1]!);
    const executor = privateKeyToAccount(net.executorKeys[0]!).address;
    const other = privateKeyToAccount(net.verifierKeys[0]!).address;
    const inputs: TensorMap = {
      input: { dtype: "float32", dims: [1, 4], data: Float32Array.from([6.3, 2.9, 5.6, 1.8]) },
    };
    const input = bytesToHex(encodeTensors(inputs));
    const { requestId, request } = await requester.hub.requestInference({
      listingId,
      input,
      mode: ProofMode.ZK,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
    });
    const { outputs, proof } = await prover.prove(artifacts, inputs, executor);
    const output = bytesToHex(encodeTensors(outputs));
    const zkProof = settlementProof(proof);
    const settle = (o: Hex, who: Address) =>
      anyone.hub.settleWithProof({ requestId, request, input, output: o, executor: who, zkProof });

    // Not sealed yet: the listing's verifier is not usable.
    await expect(settle(output, executor)).rejects.toThrow(/ZkKeyNotSealed/);
    // The verifier set (f = 0: one signature) seals the key.
    const seal = {
      listingId,
      vkHash: vkHash(artifacts.vkey),
      transcriptHash: keccak256(toHex("transcript")),
      configDigest: await anyone.registry.getConfigDigest(),
    };
    const digest = await anyone.models.zkKeySealDigest(seal);
    await anyone.models.sealZkKey(seal, [
      await privateKeyToAccount(net.verifierKeys[0]!).sign({ hash: digest }),
    ]);
    await expect(settle(output, other)).rejects.toThrow(/InvalidZkProof/);
    const tampered = encodeTensors(outputs);
    tampered[tampered.length - 8]! ^= 1;
    await expect(settle(bytesToHex(tampered), executor)).rejects.toThrow(/InvalidZkProof/);

    const tx = await settle(output, executor);
    expect(tx.receipt.status).toBe("success");
    expect(await requester.hub.requestStatus(requestId)).toBe("delivered");
    expect(await requester.hub.balanceOf(executor)).toBe(request.fee);
    // settleWithProof end to end (tensor parsing, Poseidon commitments, pairing, delivery).
    expect(tx.receipt.gasUsed).toBeLessThan(500_000n);
  });

  it("default: models add --zk --no-onchain compiles and sets up a circuit, then exits (no chain needed)", () => {
    const fresh = join(mkdtempSync(join(tmpdir(), "opg-zk-build-")), "node");
    const add = cli(["--data-dir", fresh, "models", "add", IRIS, "--zk", "--no-onchain"]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stderr).toMatch(/setup done/);
    const out = JSON.parse(add.stdout) as AddOutput;
    expect(out.zk).toMatchObject({
      artifactKey: artifacts.manifest.artifactKey,
      constraints: artifacts.manifest.constraints,
      weightsCommitment: weightsCommitmentBytes32(artifacts.manifest.weightsCommitment),
    });
    expect(out.zk.zkVerifier).toBeUndefined();
  });

  it("behavior: another publisher lists the same file under its own listing; the first listing is untouched", async () => {
    const stranger = senderFor(net.requesterKeys[3]!);
    const first = await stranger.contracts.models.getListing(listingId);
    const done = await registerZkModel(
      artifacts,
      { price: 1n, metadataURI: "" },
      {
        contracts: stranger.contracts,
        account: stranger.sender.address,
        deploy: (initCode: Hex, label: string) => stranger.sender.deployContract(initCode, label),
      },
    );
    expect(done).toMatchObject({
      action: "listed",
      listingId: listingIdOf(artifacts.manifest.modelId, stranger.sender.address),
      sealed: false,
    });
    expect(await stranger.contracts.models.getListing(listingId)).toEqual(first);
  });
  it("default: models add --zk starts a ceremony; a verifier contributes, zk-finish closes it with the beacon and enables ZK, the verifier's rebuild signs the seal, zk-seal seals it", async () => {
    const publisher = privateKeyToAccount(net.executorKeys[0]!).address;
    const add = cli(["--data-dir", dir, "models", "add", IRIS, "--zk"]);
    expect(add.status, add.stderr).toBe(0);
    const started = (JSON.parse(add.stdout) as { zk: ZkCeremonyStart }).zk;
    // The solo listing above is index 0: the ceremony's listing is a new one, without ZK yet.
    const ceremonyListing = listingIdOf(artifacts.manifest.modelId, publisher, 1n);
    expect(started).toMatchObject({
      action: "ceremony-started",
      listingId: ceremonyListing,
      artifactKey: artifacts.manifest.artifactKey,
      contributions: 0,
    });
    expect(add.stderr).toContain(`opg-verify zk contribute ${ceremonyListing}`);
    const transcript = await readTranscript(started.ceremony);
    expect(transcript).toMatchObject({ listingId: ceremonyListing, contributions: [] });
    expect(transcript.r1csSha256).toBe(artifacts.manifest.files["circuit.r1cs"]);
    const reader = contractsFor(net.requesterKeys[0]!).models;
    expect(await reader.getListing(ceremonyListing)).toMatchObject({
      zkVerifier: "0x0000000000000000000000000000000000000000",
      modes: modeMask(ProofMode.NONE),
    });
    // A rerun reports the open ceremony; no second listing.
    const again = cli(["--data-dir", dir, "models", "add", IRIS, "--zk"]);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { zk: ZkCeremonyStart }).zk).toMatchObject({
      action: "ceremony-pending",
      listingId: ceremonyListing,
    });
    // zk-finish refuses an empty ceremony.
    const early = cli(["--data-dir", dir, "models", "zk-finish", ceremonyListing, "--onnx", IRIS]);
    expect(early.status).not.toBe(0);
    expect(early.stderr).toMatch(/no contribution yet/);

    // The verifier (the whole set: f = 0) contributes with its operator's command.
    const vdir = join(mkdtempSync(join(tmpdir(), "opg-zk-verifier-")), "node");
    await prepareNodeDir(vdir, net.verifierKeys[0]!, net.deployment);
    writeFileSync(
      join(vdir, "config.json"),
      JSON.stringify({
        keystore: { path: "keystore.json", passwordFile: "password" },
        chain: { rpcUrl: chain.rpcUrl },
      }),
    );
    const verify = (cmd: string) =>
      cli(
        ["--data-dir", vdir, "zk", cmd, ceremonyListing, "--ceremony", started.ceremony, "--onnx", IRIS],
        "verify-node",
      );
    const contributed = verify("contribute");
    expect(contributed.status, contributed.stderr).toBe(0);
    // The beacon is a block mined after the contribution.
    await chain.rpc("evm_mine", []);
    const finish = cli(["--data-dir", dir, "models", "zk-finish", ceremonyListing, "--onnx", IRIS]);
    expect(finish.status, finish.stderr).toBe(0);
    const finished = JSON.parse(finish.stdout) as { vkHash: Hex; transcriptHash: Hex; zkVerifier: Address };
    // A key no single party knows the secret of: not the committed single-party key.
    expect(finished.vkHash).not.toBe(vkHash(artifacts.vkey));
    expect(await reader.getListing(ceremonyListing)).toMatchObject({
      zkVerifier: finished.zkVerifier,
      vkHash: finished.vkHash,
      zkKeySealed: false,
      modes: modeMask(ProofMode.NONE, ProofMode.ZK),
    });
    const rebuilt = verify("rebuild");
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    const check = JSON.parse(rebuilt.stdout) as { accepted: boolean; sealSignature: Hex };
    expect(check.accepted).toBe(true);
    const seal = cli([
      "--data-dir",
      dir,
      "models",
      "zk-seal",
      ceremonyListing,
      "--transcript-hash",
      finished.transcriptHash,
      "--signature",
      check.sealSignature,
    ]);
    expect(seal.status, seal.stderr).toBe(0);
    expect(await reader.getListing(ceremonyListing)).toMatchObject({ zkKeySealed: true });
  }, 900_000);
});
