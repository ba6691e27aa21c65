import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsensusHarness, type NetworkPolicy } from "./harness/ConsensusHarness.js";

/** One scheduled event of a random run. */
type Event =
  | { kind: "steps"; n: number; mine: boolean }
  | { kind: "results"; n: number }
  | { kind: "crash" | "restart" | "rotate"; node: number }
  | { kind: "reconfigure" }
  | { kind: "unbond"; node: number }
  | { kind: "network"; mode: "deliver" | "lossy" | "partition"; node: number; seed: number };

const NODES = 3;

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("steps" as const),
      n: fc.integer({ min: 1, max: 30 }),
      mine: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("results" as const), n: fc.integer({ min: 1, max: 12 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom("crash" as const, "restart" as const, "rotate" as const),
      node: fc.integer({ min: 0, max: NODES - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reconfigure" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("unbond" as const),
      node: fc.integer({ min: 0, max: NODES - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("network" as const),
      mode: fc.constantFrom("deliver" as const, "lossy" as const, "partition" as const),
      node: fc.integer({ min: 0, max: NODES - 1 }),
      seed: fc.integer(),
    }),
  },
);

/** A small deterministic PRNG (mulberry32) so a failing schedule replays exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function policyOf(e: Extract<Event, { kind: "network" }>): NetworkPolicy {
  if (e.mode === "deliver") return () => "deliver";
  if (e.mode === "partition") return (m) => (m.to === e.node ? "drop" : "deliver");
  const next = rng(e.seed);
  return () => {
    const x = next();
    return x < 0.25 ? "drop" : x < 0.45 ? "hold" : x < 0.55 ? "duplicate" : "deliver";
  };
}

async function run(events: Event[]): Promise<void> {
  const h = new ConsensusHarness(NODES, 1);
  let removed = false;
  try {
    h.addResults(4);
    for (const e of events) {
      if (e.kind === "steps") for (let i = 0; i < e.n; i++) await h.step({ mine: e.mine });
      else if (e.kind === "results") h.addResults(e.n);
      else if (e.kind === "crash") await h.crash(e.node);
      else if (e.kind === "restart") await h.restart(e.node);
      else if (e.kind === "rotate") await h.rotate(e.node);
      else if (e.kind === "reconfigure") h.reconfigure();
      else if (e.kind === "unbond" && !removed) {
        // One member may leave: f + 1 = 2 of the remaining 2 still settle (a second would halt
        // settlement by design until governance reconfigures).
        removed = true;
        h.remove(e.node);
      } else if (e.kind === "network") h.policy = policyOf(e);
    }
    // The faults end: every node runs, the network delivers, results reach everyone.
    h.policy = () => "deliver";
    for (const v of h.nodes) {
      if (!v.running) h.start(v.index);
      h.catchUpResults(v.index);
    }
    const steps = await h.runUntilSettled(400);
    expect(steps).toBeLessThan(400);
    expect(h.exactlyOnce()).toEqual({ ok: true, missing: 0, repeated: 0 });
    const { sequences } = h.rounds();
    expect(sequences).toEqual(sequences.map((_, i) => BigInt(i + 1)));
  } finally {
    await h.close();
  }
}

describe("consensus harness: random schedules", () => {
  it("behavior: crashes, restarts, key rotations, set changes, loss, duplication and reordering end with every result settled exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 25 }), (events) => run(events)),
      { numRuns: 25, seed: 13, endOnFailure: true },
    );
  }, 300_000);
});
