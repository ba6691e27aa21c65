import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createLogger, HttpServer } from "@opg/daemon";
import { P2PNode } from "@opg/p2p";
import {
  decodeResultMessage,
  encodeBatchSignatureMessage,
  encodeResultMessage,
  encodeTensors,
  hashEncodedTensors,
  type OpgDomain,
  ProofMode,
  type ResultMessage,
  signBatchRoot,
  signExecutionResult,
} from "@opg/protocol";
import { type Hex, keccak256, numberToHex, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { mountVerifierRoutes } from "../src/api/verifierRoutes.js";
import { checkPoolOptions } from "../src/pipeline/CheckPool.js";
import { BLAMELESS_RESULT_IGNORES } from "../src/pipeline/ResultValidator.js";
import { VerifierCore } from "../src/VerifierCore.js";
import { FakeChain } from "./helpers/fakeChain.js";

const logger = createLogger({ level: "silent" });
const key = (label: string): Hex => keccak256(toHex(`opg/attack-test/${label}`));
const domain: OpgDomain = { chainId: 31337, verifyingContract: privateKeyToAddress(key("hub")) };
const VERIFIER_KEY = key("v0");
const EXECUTOR_KEY = key("executor");
const MODEL = keccak256(toHex("attack-model"));
const INPUT = keccak256(toHex("attack-input"));
const gossip = { D: 2, Dlo: 1, Dhi: 3, Dscore: 1, Dout: 0, Dlazy: 2, heartbeatIntervalMs: 100 };

/** On-chain request ids are predictable: the hub numbers them. */
const requestIdOf = (n: number): Hex => numberToHex(n, { size: 32 });

/** A result for on-chain request `n`, signed by `signerKey`, with `outputBytes` of output. */
function onchainResult(n: number, signerKey: Hex, outputBytes = 8): Uint8Array {
  const outputs = encodeTensors({
    y: { dtype: "uint8", dims: [outputBytes], data: new Uint8Array(outputBytes).fill(n % 251) },
  });
  const signed = {
    requestId: requestIdOf(n),
    modelId: MODEL,
    inputHash: INPUT,
    outputHash: hashEncodedTensors(outputs),
    mode: ProofMode.NONE,
  };
  const message: ResultMessage = {
    ...signed,
    executor: privateKeyToAddress(signerKey),
    outputs,
    proof: new Uint8Array(0),
    signature: signExecutionResult(signerKey, domain, signed),
    origin: { type: "onchain" },
  };
  return encodeResultMessage(message);
}

/** The same result with its outputs by reference (as an executor gossips large outputs). */
function byReference(bytes: Uint8Array): { header: Uint8Array; outputs: Uint8Array; outputHash: Hex } {
  const m = decodeResultMessage(bytes);
  return {
    header: encodeResultMessage({ ...m, outputs: new Uint8Array(0) }),
    outputs: m.outputs,
    outputHash: m.outputHash,
  };
}

/** V8's collector (exposed at run time: vitest's workers do not pass --expose-gc). */
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** JS heap plus array buffers (messages' bytes live there) after full collections. */
async function liveBytes(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * One verifier (VerifierCore on a fake chain, results topic on a real libp2p node), the honest
 * executor's libp2p node and an outside attacker's libp2p node (its own peer id and keys).
 */
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), "opg-attack-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const chain = new FakeChain(domain, [privateKeyToAddress(VERIFIER_KEY)], 0);
  chain.executors.add(privateKeyToAddress(EXECUTOR_KEY).toLowerCase());
  chain.models.set(MODEL.toLowerCase(), { modes: 0b1, measurements: [] });
  const core = new VerifierCore(
    {
      dbPath: join(dir, "verifier.sqlite"),
      batching: { maxBatchAgeMs: 3_600_000 },
      registry: {},
      intake: { maxDeferredBytes: 1024 * 1024 },
      validation: {},
      // The daemon's check pool on two cores: one worker, the event loop sharing the checks.
      checks: checkPoolOptions(undefined, 2),
    },
    {
      chain: chain.viewFor(privateKeyToAddress(VERIFIER_KEY)),
      signer: { address: privateKeyToAddress(VERIFIER_KEY), privateKey: VERIFIER_KEY },
      logger,
      publishBatch: async () => {},
    },
  );
  cleanups.push(() => core.stop());
  const node = async (name: string) => {
    const n = new P2PNode({
      chainId: domain.chainId,
      peerKeyPath: join(dir, `${name}.key`),
      listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
      allowPublishToZeroPeers: false,
      gossip,
    });
    cleanups.push(() => n.stop());
    return n;
  };
  const verifier = await node("verifier");
  const topic = verifier.topics.results;
  verifier.subscribe(topic, core.intake.validate, core.intake.accept, {
    blamelessIgnores: BLAMELESS_RESULT_IGNORES,
  });
  await verifier.start();
  const executor = await node("executor");
  const attacker = await node("attacker");
  for (const n of [executor, attacker]) {
    await n.start();
    await n.libp2p.dial(verifier.multiaddrs[0]!);
    await n.waitForTopicPeers(topic, 1);
  }
  const outcomes: string[] = [];
  verifier.addEventListener("message:validated", (e) => void outcomes.push(e.detail.code ?? "ACCEPT"));
  /** Publishes (no local validation: the attacker sends raw bytes) and waits for the verdict. */
  const send = async (from: P2PNode, bytes: Uint8Array): Promise<string> => {
    const before = outcomes.length;
    const seen = new Promise<void>((resolve) => {
      const check = () => {
        if (outcomes.length > before) {
          verifier.removeEventListener("message:validated", check);
          resolve();
        }
      };
      verifier.addEventListener("message:validated", check);
    });
    await from.publish(topic, bytes);
    await seen;
    return outcomes[before]!;
  };
  return { chain, core, verifier, executor, attacker, send };
}

describe("attacks on the verifier's result intake, from an outside libp2p node", () => {
  it("behavior: junk claiming upcoming request ids is refused before any chain read and leaves no trace; the honest results are verified and stored", async () => {
    const { chain, core, executor, attacker, send } = await setup();
    const attackerKey = key("attacker");
    // Poisoned rejections ahead of the next on-chain request ids, signed by an unregistered key.
    expect(await send(attacker, onchainResult(1, attackerKey))).toBe("UNREGISTERED_EXECUTOR");
    expect(await send(attacker, onchainResult(2, attackerKey))).toBe("UNREGISTERED_EXECUTOR");
    expect(chain.counts.request).toBe(0); // nothing read from the chain on its behalf
    expect(core.store.rejectionsForRequest(requestIdOf(1))).toEqual([]);
    expect(core.store.rejectionsForRequest(requestIdOf(2))).toEqual([]);
    // The requests are made; the honest executor's results are verified and stored.
    for (const n of [1, 2]) chain.requests.set(requestIdOf(n), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    expect(await send(executor, onchainResult(1, EXECUTOR_KEY))).toBe("ACCEPT");
    expect(await send(executor, onchainResult(2, EXECUTOR_KEY))).toBe("ACCEPT");
    expect(core.store.resultsForRequest(requestIdOf(1))).toHaveLength(1);
    expect(core.store.rejectionsForRequest(requestIdOf(1))).toEqual([]);
  });

  it("behavior: a registered executor's results for unknown requests cost one chain read per miss interval", async () => {
    const { chain, core } = await setup();
    const bytes = [3, 4, 5].map((n) => onchainResult(n, EXECUTOR_KEY));
    for (let i = 0; i < 20; i++) {
      await expect(core.intake.validate(bytes[i % 3]!)).rejects.toMatchObject({ code: "UNKNOWN_REQUEST" });
    }
    expect(chain.counts.request).toBe(3);
    expect(core.store.deferredSize().items).toBe(0);
  });

  it("behavior: during an RPC outage unauthenticated junk is never stored; an authenticated result is deferred and verified once the chain is back", async () => {
    const { chain, core, executor, attacker, send } = await setup();
    chain.requests.set(requestIdOf(10), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    expect(await send(executor, onchainResult(10, EXECUTOR_KEY))).toBe("ACCEPT"); // executor now cached
    chain.down = true;
    const executorReads = chain.counts.executor;
    // 200 KB junk from fresh keys: the registry cannot be read for them, so nothing is kept, and
    // after the first failed read the others fail fast (no RPC call per junk message).
    for (let i = 0; i < 5; i++) {
      expect(await send(attacker, onchainResult(100 + i, key(`junk-${i}`), 200_000))).toBe(
        "EXECUTOR_UNKNOWN",
      );
    }
    expect(core.store.deferredSize()).toEqual({ items: 0, bytes: 0 });
    expect(chain.counts.executor - executorReads).toBeLessThanOrEqual(2);
    // The honest executor's next result needs the chain (its request): deferred durably.
    chain.requests.set(requestIdOf(11), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    expect(await send(executor, onchainResult(11, EXECUTOR_KEY))).toBe("CHAIN_UNAVAILABLE");
    expect(core.store.deferredSize().items).toBe(1);
    chain.down = false;
    await core.intake.retryDeferred();
    expect(core.store.resultsForRequest(requestIdOf(11))).toHaveLength(1);
    expect(core.store.deferredSize().items).toBe(0);
  });

  it("behavior: the deferred queue is capped in bytes (oldest dropped) and pruned by age", async () => {
    const { core } = await setup();
    const store = core.store;
    const limits = { maxItems: 100, maxBytes: 250_000 };
    for (let i = 0; i < 5; i++) {
      store.deferResult(keccak256(toHex(`d${i}`)), new Uint8Array(100_000), 1000 + i, limits);
    }
    expect(store.deferredSize()).toEqual({ items: 2, bytes: 200_000 });
    expect(store.deferResult(keccak256(toHex("huge")), new Uint8Array(300_000), 2000, limits)).toBe(false);
    expect(store.deferredResults(10).map((d) => d.digest)).toEqual([
      keccak256(toHex("d3")),
      keccak256(toHex("d4")),
    ]);
    store.prune({ deferredBefore: 1004, rejectionsBefore: 0 });
    expect(store.deferredSize().items).toBe(1);
  });

  it("behavior: a replay of a held result is dropped as DUPLICATE before its signature is looked at", async () => {
    const { chain, core } = await setup();
    chain.requests.set(requestIdOf(20), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    const honest = onchainResult(20, EXECUTOR_KEY);
    core.intake.accept(await core.intake.validate(honest));
    const reads = chain.counts.executor;
    // Same header, garbage signature: were the signature checked first this would be BAD_SIGNATURE.
    const other = decodeResultMessage(onchainResult(21, EXECUTOR_KEY)).signature;
    const tampered = encodeResultMessage({ ...decodeResultMessage(honest), signature: other });
    await expect(core.intake.validate(honest)).rejects.toMatchObject({
      code: "DUPLICATE",
      step: "duplicate",
    });
    await expect(core.intake.validate(tampered)).rejects.toMatchObject({
      code: "DUPLICATE",
      action: "IGNORE",
    });
    expect(chain.counts.executor).toBe(reads);
  });

  it("behavior: outputs gossiped by reference: the header is verified and stored; the API fetches the payload by hash from the executor, checks it and keeps it", async () => {
    const { chain, core, verifier, executor, send } = await setup();
    chain.requests.set(requestIdOf(30), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    const full = onchainResult(30, EXECUTOR_KEY, 400_000);
    const { header, outputs, outputHash } = byReference(full);
    expect(header.length).toBeLessThan(1024);
    await executor.servePayloads((h) => (h === outputHash ? outputs : undefined));
    expect(await send(executor, header)).toBe("ACCEPT");
    expect(core.store.payload(outputHash)).toBeUndefined();
    const http = new HttpServer({ port: 0, host: "127.0.0.1" }, { logger });
    cleanups.push(() => http.stop());
    mountVerifierRoutes(http, core.store, { fetchPayload: (h) => verifier.fetchPayload(h) });
    await http.start();
    const res = await fetch(`${http.url()}/v1/results/${requestIdOf(30)}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: Hex; outputHash: Hex };
    expect(body.outputHash).toBe(outputHash);
    expect(body.outputs).toBe(toHex(outputs));
    expect(core.store.payload(outputHash)).toEqual(outputs); // kept: served to peers from now on
    // A by-reference result nobody serves: 503, nothing invented.
    chain.requests.set(requestIdOf(31), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    expect(await send(executor, byReference(onchainResult(31, EXECUTOR_KEY, 5_000)).header)).toBe("ACCEPT");
    const missing = await fetch(`${http.url()}/v1/results/${requestIdOf(31)}`);
    expect(missing.status).toBe(503);
  });

  it("behavior: a replayed batch signature is dropped before signature recovery and not forwarded again within the window", async () => {
    const { core } = await setup();
    const set = await core.registry.verifierConfig();
    const header = { configDigest: set.configDigest, batchId: 1n, root: keccak256(toHex("root")), count: 1 };
    const bytes = encodeBatchSignatureMessage({
      ...header,
      verifier: privateKeyToAddress(VERIFIER_KEY),
      signature: signBatchRoot(VERIFIER_KEY, domain, header),
    });
    core.onBatchMessage(await core.batchGossip.validate(bytes));
    await expect(core.batchGossip.validate(bytes)).rejects.toMatchObject({
      code: "DUPLICATE",
      action: "IGNORE",
    });
  });

  it("behavior: once an attack flood stops, what the verifier holds is back to its baseline: stores as before, live heap near it", async () => {
    const { chain, core, executor, attacker, send } = await setup();
    const gc = exposeGc();
    chain.requests.set(requestIdOf(1), { modelId: MODEL, inputHash: INPUT, mode: 0 });
    const honest = onchainResult(1, EXECUTOR_KEY);
    expect(await send(executor, honest)).toBe("ACCEPT");
    let accepted = 0;
    const refused = async (bytes: Uint8Array) => {
      try {
        await core.intake.validate(bytes);
        accepted++;
      } catch {
        // Refused, as it should be. (Not `expect(…).rejects`: vitest keeps each assertion's
        // error alive, which would be measured below as the verifier's.)
      }
    };
    /** The flood, `n` messages of each kind (each kind from the attacks), `big` outage junk. */
    const flood = async (round: string, n: number, big: number): Promise<number> => {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const poisoned = onchainResult(1_000 + i, key(`${round}/fresh-${i}`)); // unregistered ids
        const unknown = onchainResult(100_000 + i, EXECUTOR_KEY); // requests that do not exist
        for (const m of [poisoned, unknown, honest]) {
          bytes += m.length;
          await refused(m);
        }
      }
      chain.down = true; // the RPC outage: large junk from fresh keys
      for (let i = 0; i < big; i++) {
        const junk = onchainResult(200_000 + i, key(`${round}/junk-${i}`), 200_000);
        bytes += junk.length;
        await refused(junk);
      }
      chain.down = false;
      // And over the wire, from the outside node, until gossip refuses it.
      for (let i = 0; i < 5; i++) {
        const wire = onchainResult(300_000 + i, key(`${round}/w${i}`));
        await attacker.publish(attacker.topics.results, wire).catch(() => {});
      }
      return bytes;
    };
    const held = () => ({
      results: core.store.counts().results,
      deferred: core.store.deferredSize(),
      rejections: core.store.recentRejections(10).length,
      retained: core.store.retainedSize(),
    });
    await flood("warm-up", 20, 5); // code paths and caches warmed before the baseline
    const baseline = { live: await liveBytes(gc), held: held() };
    const sent = await flood("attack", 2_000, 300);
    expect(accepted).toBe(0);
    expect(sent).toBeGreaterThan(60_000_000);
    // Idle: nothing the attack sent is held any more.
    expect(held()).toEqual(baseline.held);
    const grown = (await liveBytes(gc)) - baseline.live;
    // The flood pushed > 60 MB through the validator; what stays is the bounded caches' entries
    // for the ids it used (≈ 2,300 executor lookups, 2,000 request misses): ≈ 2 MB measured.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  }, 180_000);
});
