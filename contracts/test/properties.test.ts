/**
 * Property tests (fast-check) against the real contracts on an in-process chain:
 * escrow conservation, no double delivery, no settlement without quorum, no replay across batch ids,
 * config digests or chains.
 */
import fc from "fast-check";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { RequestStatus } from "../src/constants.js";
import { expectRevert } from "./helpers/errors.js";
import {
  account,
  connect,
  deploySystem,
  PRICE,
  type RequestRecord,
  type System,
  tensorBytes,
} from "./helpers/fixture.js";
import { type BatchHeader, proofFor, signBatchRoot } from "./helpers/protocol.js";

const conn = await connect();
const fixture = async function propertiesFixture() {
  return deploySystem(conn);
};

type Op =
  | { t: "request"; extra: bigint; ttl: number; requester: number }
  | { t: "deliver"; pick: number; executor: number; batchSize: number }
  | { t: "redeliver"; pick: number }
  | { t: "refund"; pick: number }
  | { t: "warp"; seconds: number }
  | { t: "withdraw"; who: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant("request" as const),
      extra: fc.bigInt({ min: 0n, max: 10n ** 16n }),
      ttl: fc.integer({ min: 2, max: 600 }),
      requester: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("deliver" as const),
      pick: fc.nat(),
      executor: fc.integer({ min: 0, max: 1 }),
      batchSize: fc.integer({ min: 1, max: 9 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("redeliver" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("refund" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("warp" as const), seconds: fc.integer({ min: 1, max: 400 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("withdraw" as const), who: fc.integer({ min: 0, max: 3 }) }),
  },
);

interface Tracked {
  requestId: Hex;
  request: RequestRecord;
  status: "pending" | "delivered" | "refunded";
  delivery?: readonly [Hex, RequestRecord, Hex, Address, bigint, Hex[]];
}

describe("properties", () => {
  it("behavior: escrow is conserved (fees in = paid + refunded + held) and nothing is delivered twice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
        const s: System = await conn.networkHelpers.loadFixture(fixture);
        const requesters = [s.requester, s.wallets[17]!];
        const executors = s.executorSigners.map((e) => e.address);
        const accounts = [...requesters.map((r) => r.account.address), ...executors];
        const tracked: Tracked[] = [];
        let feesIn = 0n;
        let paid = 0n;
        let refunded = 0n;
        let withdrawn = 0n;
        const startBalance = await s.publicClient.getBalance({ address: s.hub.address });

        /** Pins the next block's timestamp (latest + 1) so that expected outcomes are exact. */
        const nextTimestamp = async () => {
          const ts = BigInt(await conn.networkHelpers.time.latest()) + 1n;
          await conn.networkHelpers.time.setNextBlockTimestamp(ts);
          return ts;
        };

        const pickWhere = (pick: number, status: Tracked["status"]) => {
          const candidates = tracked.filter((t) => t.status === status);
          return candidates.length === 0 ? undefined : candidates[pick % candidates.length];
        };

        for (const op of ops) {
          const now = BigInt(await conn.networkHelpers.time.latest());
          switch (op.t) {
            case "request": {
              const value = PRICE + op.extra;
              // Pin the block time: after a fixture revert the wall clock may be far past `now`.
              const at = await nextTimestamp();
              const r = await s.request({
                value,
                deadline: at + BigInt(op.ttl),
                from: requesters[op.requester]!,
              });
              tracked.push({ requestId: r.requestId, request: r.request, status: "pending" });
              feesIn += value;
              break;
            }
            case "deliver": {
              const t = pickWhere(op.pick, "pending");
              if (t === undefined) break;
              const output = tensorBytes(`out-${t.requestId}`);
              const result = s.resultFor(t.requestId, t.request, output, executors[op.executor]);
              const filler = Array.from({ length: op.batchSize - 1 }, (_, i) => ({
                ...result,
                requestId: keccak256(toHex(`filler-${i}-${t.requestId}`)),
              }));
              const { tree, header } = await s.settle([result, ...filler]);
              const args = [
                t.requestId,
                t.request,
                output,
                result.executor,
                header.batchId,
                proofFor(tree, result),
              ] as const;
              // Deliverable until the deadline, or during the grace hour after it when settled by the deadline.
              const [, , settledAt] = await s.hub.read.batchInfo([header.batchId]);
              const at = await nextTimestamp();
              const deadline = t.request.deadline;
              if (at > deadline && (at > deadline + 3_600n || settledAt > deadline)) {
                await expectRevert(s.hub.write.deliver([...args]), "RequestExpired");
                break;
              }
              await s.hub.write.deliver([...args]);
              t.status = "delivered";
              t.delivery = args;
              paid += t.request.fee;
              break;
            }
            case "redeliver": {
              const t = pickWhere(op.pick, "delivered");
              if (t?.delivery === undefined) break;
              await expectRevert(s.hub.write.deliver([...t.delivery]), "AlreadyDelivered", [t.requestId]);
              break;
            }
            case "refund": {
              // Mostly pending requests (even picks), sometimes any request (odd picks).
              const t =
                op.pick % 2 === 0
                  ? pickWhere(op.pick >> 1, "pending")
                  : tracked.length === 0
                    ? undefined
                    : tracked[(op.pick >> 1) % tracked.length];
              if (t === undefined) break;
              if (t.status === "delivered") {
                await expectRevert(s.hub.write.refund([t.requestId, t.request]), "AlreadyDelivered");
              } else if (t.status === "refunded") {
                await expectRevert(s.hub.write.refund([t.requestId, t.request]), "AlreadyRefunded");
              } else if ((await nextTimestamp()) <= t.request.deadline + 3_600n) {
                await expectRevert(s.hub.write.refund([t.requestId, t.request]), "RequestNotExpired");
              } else {
                await s.hub.write.refund([t.requestId, t.request]);
                t.status = "refunded";
                refunded += t.request.fee;
              }
              break;
            }
            case "warp":
              await conn.networkHelpers.time.increase(op.seconds);
              break;
            case "withdraw": {
              const who = accounts[op.who]!;
              const balance = await s.hub.read.balanceOf([who]);
              const caller = op.who < 2 ? requesters[op.who]! : s.executorOwners[op.who - 2]!;
              if (balance === 0n) {
                await expectRevert(
                  s.hub.write.withdraw([who, who], { account: caller.account }),
                  "NothingToWithdraw",
                );
                break;
              }
              await s.hub.write.withdraw([who, s.wallets[15]!.account.address], { account: caller.account });
              withdrawn += balance;
              break;
            }
          }

          // Invariants after every step.
          const held = tracked
            .filter((t) => t.status === "pending")
            .reduce((acc, t) => acc + t.request.fee, 0n);
          expect(feesIn).toBe(paid + refunded + held);
          let credited = 0n;
          for (const who of accounts) credited += await s.hub.read.balanceOf([who]);
          // The settling verifier's share of each delivered fee (the fixture settles as a non-signer).
          credited += await s.hub.read.balanceOf([s.verifierSigners[0]!.address]);
          const hubBalance = await s.publicClient.getBalance({ address: s.hub.address });
          expect(hubBalance - startBalance).toBe(held + credited);
          expect(credited).toBe(paid + refunded - withdrawn);
          for (const t of tracked) {
            const status = await s.hub.read.requestStatus([t.requestId]);
            expect(status).toBe(
              {
                pending: RequestStatus.PENDING,
                delivered: RequestStatus.DELIVERED,
                refunded: RequestStatus.REFUNDED,
              }[t.status],
            );
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it("behavior: a batch settles only with f + 1 distinct members of the current set", async () => {
    await fc.assert(
      fc.asyncProperty(
        // 0..3: the fixture's verifiers; 4, 5: keys outside the set.
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        async (signerIdx, setIdx) => {
          const s: System = await conn.networkHelpers.loadFixture(fixture);
          // A random verifier set and f for this run.
          const f = setIdx.length - 1 - (setIdx.length > 1 ? 1 : 0);
          await s.registry.write.setVerifierConfig([setIdx.map((i) => s.verifierSigners[i]!.address), f]);
          const keys = [...s.verifierSigners, account("outsider-0"), account("outsider-1")];
          const header: BatchHeader = {
            configDigest: await s.registry.read.configDigest(),
            batchId: await s.takeBatchId(),
            root: keccak256(toHex(`root-${signerIdx.join(",")}`)),
            count: 3,
          };
          const signatures = await Promise.all(
            signerIdx.map((i) => signBatchRoot(keys[i]!, s.chainId, s.hub.address, header)),
          );
          const members = signerIdx.every((i) => setIdx.includes(i));
          const distinct = new Set(signerIdx).size === signerIdx.length;
          const shouldSettle = members && distinct && signerIdx.length >= f + 1;
          let settled = true;
          try {
            await s.hub.write.settleBatch([header, signatures]);
          } catch {
            settled = false;
          }
          expect(settled).toBe(shouldSettle);
          expect(await s.hub.read.batchRoot([header.batchId])).toBe(
            settled ? header.root : `0x${"00".repeat(32)}`,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("behavior: quorum signatures do not replay across batch ids, roots, counts, config digests or chains", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "batchId",
          "root",
          "count",
          "configDigest",
          "chainId",
          "hub",
          "resubmit",
          "reconfigure",
        ),
        fc.bigInt({ min: 1n, max: 1000n }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (mutation, batchOffset, count) => {
          const s: System = await conn.networkHelpers.loadFixture(fixture);
          const header: BatchHeader = {
            configDigest: await s.registry.read.configDigest(),
            // Any agreement round (the high 24 bits) of the next sequence number.
            batchId: (await s.takeBatchId()) + (batchOffset << 40n),
            root: keccak256(toHex(`root-${batchOffset}-${count}`)),
            count,
          };
          const signAll = (h: BatchHeader, chainId = s.chainId, hub: Address = s.hub.address) =>
            Promise.all([0, 1, 2].map((i) => signBatchRoot(s.verifierSigners[i]!, chainId, hub, h)));
          const sigs = await signAll(header);
          let attempt: Promise<unknown>;
          switch (mutation) {
            case "batchId":
              attempt = s.hub.write.settleBatch([{ ...header, batchId: header.batchId + 1n }, sigs]);
              break;
            case "root":
              attempt = s.hub.write.settleBatch([{ ...header, root: keccak256(header.root) }, sigs]);
              break;
            case "count":
              attempt = s.hub.write.settleBatch([{ ...header, count: header.count + 1 }, sigs]);
              break;
            case "configDigest":
              attempt = s.hub.write.settleBatch([
                { ...header, configDigest: keccak256(header.configDigest) },
                sigs,
              ]);
              break;
            case "chainId":
              attempt = s.hub.write.settleBatch([header, await signAll(header, s.chainId + 1)]);
              break;
            case "hub":
              attempt = s.hub.write.settleBatch([
                header,
                await signAll(header, s.chainId, s.registry.address),
              ]);
              break;
            case "resubmit":
              await s.hub.write.settleBatch([header, sigs]);
              await expectRevert(s.hub.write.settleBatch([header, sigs]), "BatchIdNotNext");
              return;
            case "reconfigure":
              await s.registry.write.setVerifierConfig([s.verifierSigners.map((v) => v.address), 2]);
              await expectRevert(s.hub.write.settleBatch([header, sigs]), "ConfigDigestMismatch");
              return;
          }
          let failed = false;
          try {
            await attempt;
          } catch {
            failed = true;
          }
          expect(failed).toBe(true);
          // The untouched header still settles with the original signatures.
          await s.hub.write.settleBatch([header, sigs]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
