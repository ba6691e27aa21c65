import { configDigest, type OpgDomain, recoverBatchRootSigner } from "@opg/protocol";
import { type Address, type Hex, isAddressEqual, keccak256, toHex } from "viem";
import type { SettledBatch } from "../../src/batching/BatchCoordinator.js";
import { batchSequence } from "../../src/batching/batchIds.js";
import type { BatchHeader, ChainView, VerifierSet } from "../../src/chain/ChainView.js";

type PendingTx = {
  header: BatchHeader;
  signatures: readonly Hex[];
  resolve: (tx: Hex) => void;
  reject: (e: Error) => void;
};

/**
 * An in-memory hub + operator registry for the consensus harness: the verifier set and its
 * digest (a change bumps the config count, like the registry), and `settleBatch` with the hub's
 * rules (current digest, consecutive sequence numbers, f + 1 distinct member signatures).
 * Transactions wait in a mempool until the harness mines them, so a set change can land between
 * "sent" and "mined"; every mined settlement is handed to every watcher, in order.
 */
export class SimChain {
  readonly registry = `0x${keccak256(toHex("sim-registry")).slice(26)}` as Address;
  private configCount = 1n;
  private set: VerifierSet;
  private lastId = 0n;
  private txCount = 0;
  readonly settled: (SettledBatch & { by: Address })[] = [];
  readonly mempool: (PendingTx & { by: Address })[] = [];
  private readonly watchers = new Set<(s: SettledBatch) => void>();

  constructor(
    readonly domain: OpgDomain,
    signers: Address[],
    readonly f: number,
  ) {
    this.set = this.makeSet(signers);
  }

  private makeSet(signers: Address[]): VerifierSet {
    const digest = configDigest({
      chainId: this.domain.chainId,
      registry: this.registry,
      configCount: this.configCount,
      signers,
      f: this.f,
    });
    return { configDigest: digest, signers: [...signers], f: this.f };
  }

  get verifierSet(): VerifierSet {
    return this.set;
  }

  /** Any change of the set (rotation, unbonding, slash, reconfiguration): a new digest. */
  changeSet(signers: Address[]): void {
    this.configCount++;
    this.set = this.makeSet(signers);
  }

  lastBatchId(): bigint {
    return this.lastId;
  }

  /** Mines every waiting transaction, in order; each one succeeds or reverts by the hub's rules. */
  mine(): void {
    for (const tx of this.mempool.splice(0)) {
      try {
        this.apply(tx.header, tx.signatures);
        const hash = toHex(++this.txCount, { size: 32 });
        const event = { batchId: tx.header.batchId, root: tx.header.root, count: tx.header.count, tx: hash };
        this.settled.push({ ...event, by: tx.by });
        for (const w of this.watchers) w(event);
        tx.resolve(hash);
      } catch (e) {
        tx.reject(e as Error);
      }
    }
  }

  private apply(h: BatchHeader, signatures: readonly Hex[]): void {
    if (h.configDigest !== this.set.configDigest) throw new Error("ConfigDigestMismatch");
    if (batchSequence(h.batchId) !== batchSequence(this.lastId) + 1n) throw new Error("BatchIdNotNext");
    if (h.count === 0) throw new Error("EmptyBatch");
    const seen = new Set<string>();
    for (const s of signatures) {
      const signer = recoverBatchRootSigner(this.domain, h, s);
      if (!this.set.signers.some((m) => isAddressEqual(m, signer))) throw new Error("SignerNotInConfig");
      if (seen.has(signer.toLowerCase())) throw new Error("DuplicateSigner");
      seen.add(signer.toLowerCase());
    }
    if (seen.size < this.f + 1) throw new Error("InsufficientSignatures");
    this.lastId = h.batchId;
  }

  /** The chain as the verifier with key `me` sees it. */
  viewFor(me: () => Address): ChainView {
    const unsupported = () => Promise.reject(new Error("not modelled"));
    return {
      chainId: this.domain.chainId,
      hub: this.domain.verifyingContract,
      isActiveExecutor: async () => true,
      modelModes: async () => 1,
      onchainRequest: async () => undefined,
      verifierConfig: async () => this.set,
      lastBatchId: async () => this.lastId,
      watchSettlements: ({ onSettled }) => {
        let replayed = false;
        return {
          start: async () => {
            if (!replayed) for (const s of this.settled) onSettled(s);
            replayed = true;
            this.watchers.add(onSettled);
          },
          stop: async () => {
            this.watchers.delete(onSettled);
          },
        };
      },
      // A crash after sending leaves the transaction in the mempool: it may still be mined.
      settleBatch: (header, signatures, signal) =>
        new Promise<Hex>((resolve, reject) => {
          this.mempool.push({ header, signatures, resolve, reject, by: me() });
          signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
        }),
      challengeExecutor: unsupported,
      challengeVerifier: unsupported,
    };
  }
}
