import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@opg/daemon";
import { decodeBatchTopicMessage, type OpgDomain, resultHash } from "@opg/protocol";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { BatchCoordinator, type BatchCoordinatorOptions } from "../../src/batching/BatchCoordinator.js";
import { BatchGossip } from "../../src/batching/BatchGossip.js";
import { batchRound, batchSequence } from "../../src/batching/batchIds.js";
import { RegistryCache } from "../../src/pipeline/RegistryCache.js";
import { VerifierStore } from "../../src/store/VerifierStore.js";
import { SimChain } from "./SimChain.js";

/** Timing of the simulated verifiers (ms of simulated time). */
export const SIM_OPTIONS: BatchCoordinatorOptions = {
  maxBatchSize: 8,
  maxBatchAgeMs: 100,
  leaderTimeoutMs: 1_000,
  tickMs: 50,
  regossipMs: 300,
  maxProposalsPerMember: 64,
  maxProposalBytesPerMember: 8 * 1024 * 1024,
  fetchMissingAfterMs: 200,
};

type Running = {
  store: VerifierStore;
  registry: RegistryCache;
  gossip: BatchGossip;
  coordinator: BatchCoordinator;
  watcher: { stop(): Promise<void> };
};

type SimNode = { index: number; key: Hex; address: Address; db: string; running: Running | undefined };

type InFlight = { to: number; bytes: Uint8Array };

/** How the network treats each message in flight on one step. */
export type NetworkPolicy = (m: InFlight) => "deliver" | "drop" | "hold" | "duplicate";

const deliverAll: NetworkPolicy = () => "deliver";

/**
 * A deterministic consensus harness: `n` real BatchCoordinators (real stores on disk, real
 * gossip validation and signatures) against a SimChain, a simulated gossip network and one
 * injected clock. Tests script steps (ticks, mining, deliveries) and faults (crash, restart,
 * key rotation, set changes, message loss/duplication/reordering) and check that every result
 * settles exactly once.
 */
export class ConsensusHarness {
  readonly chain: SimChain;
  readonly nodes: SimNode[];
  readonly domain: OpgDomain = {
    chainId: 31337,
    verifyingContract: `0x${keccak256(toHex("sim-hub")).slice(26)}` as Address,
  };
  readonly results: { requestId: Hex; resultHash: Hex }[] = [];
  time = 1_000_000;
  steps = 0;
  private inFlight: InFlight[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "opg-consensus-"));
  private readonly logger = createLogger({ level: "silent" });
  policy: NetworkPolicy = deliverAll;

  constructor(
    n: number,
    f: number,
    readonly options: BatchCoordinatorOptions = SIM_OPTIONS,
  ) {
    this.nodes = Array.from({ length: n }, (_, index) => {
      const key = generatePrivateKey();
      return {
        index,
        key,
        address: privateKeyToAddress(key),
        db: join(this.dir, `v${index}.sqlite`),
        running: undefined,
      };
    });
    this.chain = new SimChain(
      this.domain,
      this.nodes.map((v) => v.address),
      f,
    );
    for (const v of this.nodes) this.start(v.index);
  }

  start(index: number): void {
    const v = this.nodes[index]!;
    if (v.running) return;
    const now = () => this.time;
    const store = new VerifierStore(v.db);
    const view = this.chain.viewFor(() => v.address);
    const registry = new RegistryCache({ ttlMs: 200 }, { chain: view, now });
    const gossip = new BatchGossip({ domain: this.domain, registry, store, now });
    const coordinator = new BatchCoordinator(this.options, {
      store,
      registry,
      chain: view,
      domain: this.domain,
      signer: { address: v.address, privateKey: v.key },
      publish: async (bytes) => {
        for (const other of this.nodes) if (other !== v) this.inFlight.push({ to: other.index, bytes });
      },
      logger: this.logger,
      now,
    });
    const watcher = view.watchSettlements({
      onSettled: (s) => coordinator.onSettled(s),
      checkpoint: { load: async () => undefined, save: async () => {} },
    });
    void watcher.start();
    v.running = { store, registry, gossip, coordinator, watcher };
  }

  /** Crash: in-memory state is lost, the store stays (a signature was persisted before it left). */
  async crash(index: number): Promise<void> {
    const v = this.nodes[index]!;
    const r = v.running;
    if (!r) return;
    v.running = undefined;
    await r.watcher.stop();
    await r.coordinator.stop();
    r.store.close();
    this.inFlight = this.inFlight.filter((m) => m.to !== index);
  }

  async restart(index: number): Promise<void> {
    await this.crash(index);
    this.start(index);
  }

  /** The operator of `index` rotates its signing key; the node restarts with the new key. */
  async rotate(index: number): Promise<void> {
    const v = this.nodes[index]!;
    const was = v.running !== undefined;
    await this.crash(index);
    const old = v.address;
    v.key = generatePrivateKey();
    v.address = privateKeyToAddress(v.key);
    this.chain.changeSet(this.chain.verifierSet.signers.map((s) => (s === old ? v.address : s)));
    if (was) this.start(index);
  }

  /** A member leaves the set (unbonding or slashed). */
  remove(index: number): void {
    const gone = this.nodes[index]!.address;
    this.chain.changeSet(this.chain.verifierSet.signers.filter((s) => s !== gone));
  }

  /** Governance sets the set again (same members, new config count: a new digest). */
  reconfigure(): void {
    this.chain.changeSet([...this.chain.verifierSet.signers]);
  }

  /** `count` verified results, stored at every running verifier (or those in `at`). */
  addResults(count: number, at?: readonly number[]): void {
    for (let i = 0; i < count; i++) {
      const n = this.results.length;
      const fields = {
        requestId: keccak256(toHex(`request-${n}`)),
        modelId: keccak256(toHex("model")),
        inputHash: keccak256(toHex(`input-${n}`)),
        outputHash: keccak256(toHex(`output-${n}`)),
        executor: privateKeyToAddress(keccak256(toHex("executor"))),
      };
      const r = { ...fields, resultHash: resultHash(fields) };
      this.results.push(r);
      for (const v of this.nodes) {
        if (at && !at.includes(v.index)) continue;
        v.running?.store.insertResult({
          ...r,
          mode: 0,
          message: new Uint8Array([n & 0xff]),
          receivedAt: this.time,
        });
      }
    }
  }

  /** Stores results a verifier missed (gossip of results is not part of the harness). */
  catchUpResults(index: number): void {
    const v = this.nodes[index]!;
    for (const [n, r] of this.results.entries()) {
      if (v.running?.store.hasResult(r.resultHash)) continue;
      v.running?.store.insertResult({
        ...r,
        modelId: keccak256(toHex("model")),
        inputHash: keccak256(toHex(`input-${n}`)),
        outputHash: keccak256(toHex(`output-${n}`)),
        executor: privateKeyToAddress(keccak256(toHex("executor"))),
        mode: 0,
        message: new Uint8Array([n & 0xff]),
        receivedAt: this.time,
      });
    }
  }

  /** Lets every promise chain that does not wait on the chain or the network run to its end. */
  async flush(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Delivers the messages in flight by the network policy (through each receiver's validator). */
  async deliver(): Promise<void> {
    const now = this.inFlight.splice(0);
    for (const m of now) {
      const action = this.policy(m);
      if (action === "drop") continue;
      if (action === "hold") {
        this.inFlight.push(m);
        continue;
      }
      const times = action === "duplicate" ? 2 : 1;
      for (let i = 0; i < times; i++) {
        const r = this.nodes[m.to]!.running;
        if (!r) continue;
        try {
          const decoded = await r.gossip.validate(m.bytes);
          if (decoded.kind === "proposal") r.coordinator.onProposal(decoded.message);
          else if (decoded.kind === "signature") r.coordinator.onSignature(decoded.message);
        } catch {
          // IGNORE/REJECT, as gossipsub would
        }
      }
    }
  }

  /** One step: the clock moves a tick, messages are delivered, every node ticks, the chain mines. */
  async step(opts: { mine?: boolean } = {}): Promise<void> {
    this.steps++;
    this.time += this.options.tickMs;
    await this.deliver();
    for (const v of this.nodes) v.running?.coordinator.kick();
    await this.flush();
    if (opts.mine ?? true) {
      this.chain.mine();
      await this.flush();
    }
  }

  /**
   * Steps until `done()` holds (or `maxSteps`); returns the steps taken. The simulated clock moves
   * only by steps, so the bound is a step count, never wall-clock time.
   */
  async runUntil(done: () => boolean, maxSteps: number, opts: { mine?: boolean } = {}): Promise<number> {
    const from = this.steps;
    while (this.steps - from < maxSteps && !done()) await this.step(opts);
    return this.steps - from;
  }

  /** Steps until every result is settled on chain (or `maxSteps`); returns the steps taken. */
  runUntilSettled(maxSteps: number): Promise<number> {
    return this.runUntil(
      () => this.results.length > 0 && this.settledRequests().length >= this.results.length,
      maxSteps,
    );
  }

  /** The request ids of every batch settled on chain, with repeats (membership from the stores). */
  settledRequests(): Hex[] {
    const out: Hex[] = [];
    for (const s of this.chain.settled) {
      const members = this.membership(s.batchId, s.root);
      if (!members) throw new Error(`no verifier knows the results of settled batch ${s.batchId}`);
      out.push(...members);
    }
    return out;
  }

  private membership(batchId: bigint, root: Hex): Hex[] | undefined {
    for (const v of this.nodes) {
      const store = v.running?.store ?? new VerifierStore(v.db);
      try {
        const p = store.getProposal(batchId, root);
        if (p) {
          return p.resultHashes.map((h) => {
            const r = this.results.find((x) => x.resultHash === h);
            if (!r) throw new Error(`unknown result ${h}`);
            return r.requestId;
          });
        }
      } finally {
        if (!v.running) store.close();
      }
    }
    return undefined;
  }

  /** Asserts the safety property: every result settled exactly once, nothing else settled. */
  exactlyOnce(): { ok: boolean; missing: number; repeated: number } {
    const settled = this.settledRequests();
    const counts = new Map<string, number>();
    for (const r of settled) counts.set(r, (counts.get(r) ?? 0) + 1);
    const missing = this.results.filter((r) => !counts.has(r.requestId)).length;
    const repeated = [...counts.values()].filter((c) => c > 1).length;
    const unknown = [...counts.keys()].filter((k) => !this.results.some((r) => r.requestId === k)).length;
    return { ok: missing === 0 && repeated === 0 && unknown === 0, missing, repeated };
  }

  /** Highest round any settled batch needed, and its consecutive sequence numbers. */
  rounds(): { maxRound: number; sequences: bigint[] } {
    return {
      maxRound: Math.max(0, ...this.chain.settled.map((s) => batchRound(s.batchId))),
      sequences: this.chain.settled.map((s) => batchSequence(s.batchId)),
    };
  }

  /** Proposals and signatures in flight (decoded), for scripted interception. */
  inFlightKinds(): string[] {
    return this.inFlight.map((m) => decodeBatchTopicMessage(m.bytes).kind);
  }

  async close(): Promise<void> {
    for (const v of this.nodes) await this.crash(v.index);
  }
}
