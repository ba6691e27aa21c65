import { afterEach, describe, expect, it } from "vitest";
import { batchSequence } from "../src/batching/batchIds.js";
import { ConsensusHarness } from "./harness/ConsensusHarness.js";

/** Steps (50 ms each) within which everything must settle after the last fault: a few rounds. */
const BOUND = 200;

type Phase = "proposed" | "quorum" | "sent" | "mined";
type Fault = "rotate" | "unbond" | "slash" | "reconfigure" | "restart-all" | "leader-crash";

let h: ConsensusHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function digest(x: ConsensusHarness) {
  return x.chain.verifierSet.configDigest;
}

function signedBy(x: ConsensusHarness): number[] {
  return x.nodes
    .filter((v) => (v.running?.store.signedAtSequence(1n, digest(x)).length ?? 0) > 0)
    .map((v) => v.index);
}

function quorumSomewhere(x: ConsensusHarness): boolean {
  return x.nodes.some((v) =>
    (v.running?.store.signedAtSequence(1n, digest(x)) ?? []).some(
      (b) => (v.running?.store.signaturesFor(b.batchId, b.root, b.configDigest).length ?? 0) >= x.chain.f + 1,
    ),
  );
}

/** Runs the network until batch 1 reaches `phase` (messages held or chain paused as needed). */
async function reach(x: ConsensusHarness, phase: Phase): Promise<number | undefined> {
  let proposer: number | undefined;
  /** Steps the simulated network (not a wall-clock wait) until `done` holds, within BOUND steps. */
  const stepUntil = async (done: () => boolean, mine: boolean) => {
    await x.runUntil(done, BOUND, { mine });
    expect(done()).toBe(true);
  };
  x.policy = () => "hold";
  await stepUntil(() => signedBy(x).length > 0, false);
  proposer = signedBy(x)[0];
  if (phase === "proposed") return proposer;
  // Signatures reach everyone but the proposer: a follower holds the quorum and waits its turn.
  x.policy = (m) => (m.to === proposer ? "hold" : "deliver");
  await stepUntil(() => quorumSomewhere(x), false);
  if (phase === "quorum") return proposer;
  x.policy = () => "deliver";
  await stepUntil(() => x.chain.mempool.length > 0, false);
  if (phase === "sent") return proposer;
  await stepUntil(() => x.chain.settled.length > 0, true);
  return proposer;
}

async function inject(x: ConsensusHarness, fault: Fault, proposer: number | undefined): Promise<void> {
  const other = ((proposer ?? 0) + 1) % x.nodes.length;
  if (fault === "rotate") await x.rotate(other);
  else if (fault === "unbond") x.remove(other);
  else if (fault === "slash") {
    x.remove(proposer ?? 0);
    await x.crash(proposer ?? 0);
  } else if (fault === "reconfigure") x.reconfigure();
  else if (fault === "restart-all") for (const v of x.nodes) await x.restart(v.index);
  else if (fault === "leader-crash") await x.crash(proposer ?? 0);
}

function expectSettledOnce(x: ConsensusHarness): void {
  expect(x.exactlyOnce()).toEqual({ ok: true, missing: 0, repeated: 0 });
  const { sequences } = x.rounds();
  expect(sequences).toEqual(sequences.map((_, i) => BigInt(i + 1)));
}

describe("consensus harness (in-memory chain and gossip, injected clock)", () => {
  it("default: every result settles exactly once, in round 0, with consecutive sequence numbers", async () => {
    h = new ConsensusHarness(3, 1);
    h.addResults(20);
    const steps = await h.runUntilSettled(BOUND);
    expect(steps).toBeLessThan(BOUND);
    expectSettledOnce(h);
    expect(h.rounds().maxRound).toBe(0);
  });

  it("behavior: a crashed leader is taken over by the next round's leader", async () => {
    h = new ConsensusHarness(3, 1);
    await h.crash(1); // leads round 0 of sequence 1
    h.addResults(5);
    expect(await h.runUntilSettled(BOUND)).toBeLessThan(BOUND);
    expectSettledOnce(h);
    expect(h.rounds().maxRound).toBeGreaterThan(0);
  });

  const phases: Phase[] = ["proposed", "quorum", "sent", "mined"];
  const faults: Fault[] = ["rotate", "unbond", "slash", "reconfigure", "restart-all", "leader-crash"];
  for (const fault of faults) {
    for (const phase of phases) {
      it(`behavior: ${fault} after the batch is ${phase}: every result settles exactly once`, async () => {
        const x = new ConsensusHarness(3, 1);
        h = x;
        x.addResults(10);
        const proposer = await reach(x, phase);
        await inject(x, fault, proposer);
        x.policy = () => "deliver";
        const steps = await x.runUntilSettled(BOUND);
        expect(steps).toBeLessThan(BOUND);
        expectSettledOnce(x);
      });
    }
  }

  it("behavior: a change while a node is down; it restarts and the batch settles", async () => {
    h = new ConsensusHarness(3, 1);
    h.addResults(6);
    const proposer = await reach(h, "quorum");
    const other = ((proposer ?? 0) + 1) % 3;
    await h.crash(other);
    h.reconfigure();
    await h.crash(proposer ?? 0);
    h.start(other);
    h.policy = () => "deliver";
    for (let i = 0; i < 40; i++) await h.step();
    h.start(proposer ?? 0);
    expect(await h.runUntilSettled(BOUND)).toBeLessThan(BOUND);
    expectSettledOnce(h);
  });

  it("behavior: competing proposals (a slow leader and its successor) settle one root per sequence", async () => {
    h = new ConsensusHarness(3, 1);
    h.addResults(6);
    // Nothing is delivered for two leader timeouts: rounds 0, 1 and 2 all propose.
    h.policy = () => "hold";
    for (let i = 0; i < 50; i++) await h.step({ mine: false });
    const proposals = h.nodes.flatMap((v) => v.running?.store.signedAtSequence(1n, digest(h!)) ?? []);
    expect(new Set(proposals.map((b) => b.batchId)).size).toBeGreaterThan(1);
    h.policy = () => "deliver";
    expect(await h.runUntilSettled(BOUND)).toBeLessThan(BOUND);
    expectSettledOnce(h);
  });

  it("behavior: message loss, duplication and reordering", async () => {
    h = new ConsensusHarness(3, 1);
    h.addResults(12);
    let n = 0;
    h.policy = () => (["drop", "hold", "duplicate", "deliver"] as const)[n++ % 4]!;
    expect(await h.runUntilSettled(BOUND * 2)).toBeLessThan(BOUND * 2);
    expectSettledOnce(h);
  });

  it("behavior: results a leader holds alone stall its round only", async () => {
    h = new ConsensusHarness(3, 1);
    h.addResults(4);
    h.addResults(1, [1]); // only the round-0 leader has this one
    const before = await h.runUntilSettled(BOUND / 2);
    expect(before).toBe(BOUND / 2); // the result nobody else has cannot settle
    expect(h.exactlyOnce().missing).toBe(1);
    expect(h.chain.settled.length).toBeGreaterThan(0);
    h.catchUpResults(0);
    expect(await h.runUntilSettled(BOUND)).toBeLessThan(BOUND);
    expectSettledOnce(h);
    expect(h.chain.settled.every((s) => batchSequence(s.batchId) > 0n)).toBe(true);
  });
});
