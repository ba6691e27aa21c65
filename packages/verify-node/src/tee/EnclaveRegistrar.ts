import type { EnclaveKeyRecord } from "@opg/attestation";
import { type Logger, PeriodicTask } from "@opg/daemon";
import {
  type EnclaveRegistration,
  type EnclaveRegistrationSignatureMessage,
  encodeEnclaveRegistrationSignatureMessage,
  type OpgDomain,
  signEnclaveRegistration,
} from "@opg/protocol";
import { type Address, type Hex, isAddressEqual } from "viem";
import type { EnclaveRegistrationRecord, TeeChainView, VerifierSet } from "../chain/ChainView.js";
import type { RegistryCache } from "../pipeline/RegistryCache.js";
import type { VerifyMetrics } from "../verifyMetrics.js";

export type EnclaveRegistrarOptions = {
  /** Register again (a later expiry) once the chain's registration expires within this (ms). */
  renewBeforeMs: number;
  /** How often keys and pending registrations are looked at. */
  tickMs: number;
  /** Our signatures are gossiped again this often until the registration is on chain. */
  regossipMs: number;
  /** The designated submitter goes first; the others follow this long (ms) × their distance from it. */
  takeoverMs: number;
  /** Enclave keys and registrations being gathered, at most (oldest dropped first). */
  maxEntries: number;
};

export const defaultEnclaveRegistrarOptions: EnclaveRegistrarOptions = {
  renewBeforeMs: 60 * 60_000,
  tickMs: 1_000,
  regossipMs: 3_000,
  takeoverMs: 10_000,
  maxEntries: 1_024,
};

export type EnclaveRegistrarDeps = {
  chain: TeeChainView;
  registry: RegistryCache;
  domain: OpgDomain;
  signer: { address: Address; privateKey: Hex };
  /** Gossips bytes on the batch-signatures topic. */
  publish: (bytes: Uint8Array) => Promise<void>;
  logger: Logger;
  metrics?: VerifyMetrics | null | undefined;
  now?: () => number;
};

/** An enclave key this node verified a document for, with the latest expiry it can vouch for. */
type KnownKey = {
  enclave: Address;
  measurement: Hex;
  expiresAt: bigint;
  /** The chain's registration of the key when last read. */
  onchain: EnclaveRegistrationRecord | undefined;
  nextReadAt: number;
};

/** A registration being signed by the verifier set. */
type Pending = {
  registration: EnclaveRegistration;
  signatures: Map<string, { verifier: Address; signature: Hex }>;
  /** When this node first held f + 1 signatures. */
  quorumSince: number | undefined;
  lastGossip: number;
  retryAt: number;
  done: boolean;
};

const SECOND = 1000n;
/** EnclaveRegistry.MAX_TTL (1 day), less a margin for the time a registration takes to land. */
const MAX_REGISTRATION_TTL_S = 86_400n - 600n;

/**
 * Registers the enclave keys this verifier has checked on chain (EnclaveRegistry), with the
 * verifier set's quorum, the way batches are settled:
 *
 * - When a result verifies under an enclave key whose document this node verified
 *   (`onVerifiedKey`) and the chain has no registration for it with that measurement expiring
 *   later than `renewBeforeMs` from now, the node signs an EIP-712 `EnclaveRegistration`
 *   (enclave, measurement, expiresAt = the document's timestamp + key TTL, config digest) and
 *   gossips it (kind 4 on the batch-signatures topic), unless a peer's registration for that key
 *   is already going round, in which case it signs that one.
 * - A node signs a peer's registration only for a key it verified itself, with the same
 *   measurement and an expiry no later than the one it can vouch for.
 * - Whoever holds f + 1 signatures submits `registerEnclave`: the set member at
 *   `enclave mod n` at once, the others after `takeoverMs` × their distance from it. It is
 *   idempotent: the chain is read first, and a registration already there is left alone.
 *
 * State is in memory: after a restart, keys are learnt again from the documents results carry.
 */
export class EnclaveRegistrar {
  readonly name = "enclave-registrar";
  private readonly options: EnclaveRegistrarOptions;
  private readonly now: () => number;
  private readonly keys = new Map<string, KnownKey>();
  private readonly pending = new Map<string, Pending>();
  /** The round loop: every `tickMs` once started, and at once for a newly verified key. */
  private readonly rounds: PeriodicTask;
  private readonly metrics: VerifyMetrics | null;

  constructor(
    options: Partial<EnclaveRegistrarOptions>,
    private readonly deps: EnclaveRegistrarDeps,
  ) {
    this.options = { ...defaultEnclaveRegistrarOptions, ...options };
    this.now = deps.now ?? Date.now;
    this.rounds = new PeriodicTask(
      {
        name: this.name,
        intervalMs: this.options.tickMs,
        errorMessage: "enclave registration tick failed; retrying",
      },
      () => this.round(),
      { logger: deps.logger },
    );
    this.metrics = deps.metrics ?? null;
  }

  start(): void {
    this.rounds.start();
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** Runs a round now unless one is running (or the registrar is not started). */
  kick(): void {
    if (this.rounds.started) this.rounds.trigger();
  }

  /** A result verified under this key, vouched for by a document this node verified. Cheap: per result. */
  onVerifiedKey = (record: EnclaveKeyRecord): void => {
    const expiresAt = BigInt(Math.floor(record.expiresAt / 1000));
    const id = keyId(record.address, record.measurement);
    const known = this.keys.get(id);
    if (known !== undefined && known.expiresAt >= expiresAt) return;
    if (known === undefined) bound(this.keys, this.options.maxEntries);
    this.keys.set(id, {
      enclave: record.address,
      measurement: record.measurement,
      expiresAt,
      onchain: known?.onchain,
      nextReadAt: known?.nextReadAt ?? 0,
    });
    this.kick();
  };

  /** A peer's signature from the gossip topic (already checked: current set, member, signature). */
  onSignature(m: EnclaveRegistrationSignatureMessage): void {
    const registration: EnclaveRegistration = {
      enclave: m.enclave,
      measurement: m.measurement,
      expiresAt: m.expiresAt,
      configDigest: m.configDigest,
    };
    const p = this.pendingFor(registration);
    if (p === undefined || p.done) return;
    p.signatures.set(m.verifier.toLowerCase(), { verifier: m.verifier, signature: m.signature });
    this.kick();
  }

  /** What this node knows, for `/health`. */
  health(): Record<string, unknown> {
    let pending = 0;
    for (const p of this.pending.values()) if (!p.done) pending++;
    return { enclaveKeys: this.keys.size, pendingRegistrations: pending };
  }

  /** One round, awaited once the running one ends (tests drive the registrar with an injected clock). */
  tick(): Promise<void> {
    return this.rounds.runAfter();
  }

  /** One round: drop what expired, sign what needs signing, submit what holds a quorum (the timer runs it). */
  private async round(): Promise<void> {
    const set = await this.deps.registry.verifierConfig();
    const now = this.now();
    const nowSeconds = BigInt(Math.floor(now / 1000));
    for (const [id, k] of this.keys) if (k.expiresAt <= nowSeconds) this.keys.delete(id);
    for (const [id, p] of this.pending) {
      if (p.registration.configDigest !== set.configDigest || p.registration.expiresAt <= nowSeconds) {
        this.pending.delete(id);
      }
    }
    const me = set.signers.findIndex((s) => isAddressEqual(s, this.deps.signer.address));
    if (me >= 0) {
      for (const k of this.keys.values()) await this.consider(k, set, now);
    }
    for (const p of this.pending.values()) {
      if (p.done) continue;
      await this.maybeSubmit(p, set, me, now);
      if (!p.done && p.signatures.has(this.deps.signer.address.toLowerCase())) await this.regossip(p, now);
    }
  }

  /** Signs a registration for a key this node verified, when the chain does not hold a lasting one. */
  private async consider(k: KnownKey, set: VerifierSet, now: number): Promise<void> {
    if (now >= k.nextReadAt) {
      try {
        k.onchain = await this.deps.chain.enclaveRegistration(k.enclave);
      } catch (err) {
        this.deps.logger.debug({ err, enclave: k.enclave }, "enclave registry unreadable; will retry");
        return;
      }
      // Read again when the registration needs renewing; while it does not hold, now and then
      // (another verifier may register it).
      const renewal = Number(k.onchain.expiresAt) * 1000 - this.options.renewBeforeMs;
      k.nextReadAt = Math.max(now + this.options.takeoverMs, renewal);
    }
    const onchain = k.onchain;
    if (onchain === undefined) return;
    const nowSeconds = BigInt(Math.floor(now / 1000));
    const renewAt = BigInt(Math.floor((now + this.options.renewBeforeMs) / 1000));
    const live = onchain.expiresAt > nowSeconds;
    if (live && onchain.measurement.toLowerCase() !== k.measurement.toLowerCase()) {
      return; // the chain keeps an unexpired key's measurement: nothing to do until it expires
    }
    if (live && (onchain.expiresAt >= renewAt || onchain.expiresAt >= k.expiresAt)) return;
    const floor = live ? onchain.expiresAt : nowSeconds;

    // Registrations of this key going round that we can vouch for: sign them all (converge).
    const me = this.deps.signer.address.toLowerCase();
    const acceptable = [...this.pending.values()].filter((p) => {
      const r = p.registration;
      return (
        !p.done &&
        isAddressEqual(r.enclave, k.enclave) &&
        r.measurement.toLowerCase() === k.measurement.toLowerCase() &&
        r.configDigest === set.configDigest &&
        r.expiresAt > floor &&
        r.expiresAt <= k.expiresAt
      );
    });
    if (acceptable.length === 0) {
      // The registry takes expiries at most MAX_TTL (1 day) ahead; vouching for less is fine.
      const cap = nowSeconds + MAX_REGISTRATION_TTL_S;
      const own = this.pendingFor({
        enclave: k.enclave,
        measurement: k.measurement,
        expiresAt: k.expiresAt < cap ? k.expiresAt : cap,
        configDigest: set.configDigest,
      });
      if (own !== undefined) await this.sign(own, now, "proposer");
      return;
    }
    for (const p of acceptable) if (!p.signatures.has(me)) await this.sign(p, now, "cosigner");
  }

  private async sign(p: Pending, now: number, role: "proposer" | "cosigner"): Promise<void> {
    const r = p.registration;
    const signature = signEnclaveRegistration(this.deps.signer.privateKey, this.deps.domain, r);
    p.signatures.set(this.deps.signer.address.toLowerCase(), {
      verifier: this.deps.signer.address,
      signature,
    });
    this.metrics?.enclaveRegistrationsSigned.inc();
    this.deps.logger.info(
      { enclave: r.enclave, measurement: r.measurement, expiresAt: r.expiresAt.toString(), role },
      "signed enclave key registration",
    );
    await this.regossip(p, now, true);
  }

  /** The chain now holds `r` (we submitted it, or found it there). */
  private registered(p: Pending): void {
    p.done = true;
    const r = p.registration;
    const k = this.keys.get(keyId(r.enclave, r.measurement));
    if (k !== undefined && (k.onchain === undefined || k.onchain.expiresAt < r.expiresAt)) {
      k.onchain = { measurement: r.measurement, expiresAt: r.expiresAt };
      k.nextReadAt = Math.max(k.nextReadAt, Number(r.expiresAt) * 1000 - this.options.renewBeforeMs);
    }
  }

  private async maybeSubmit(p: Pending, set: VerifierSet, me: number, now: number): Promise<void> {
    const members = new Set(set.signers.map((s) => s.toLowerCase()));
    const signatures = [...p.signatures.values()].filter((s) => members.has(s.verifier.toLowerCase()));
    if (signatures.length < set.f + 1) return;
    p.quorumSince ??= now;
    const r = p.registration;
    const designated = Number(BigInt(r.enclave) % BigInt(set.signers.length));
    const rank = me < 0 ? set.signers.length : (me - designated + set.signers.length) % set.signers.length;
    if (now < p.quorumSince + rank * this.options.takeoverMs || now < p.retryAt) return;
    try {
      // Idempotent: another verifier (or we, before a crash) may have registered it already.
      const onchain = await this.deps.chain.enclaveRegistration(r.enclave);
      if (
        onchain.measurement.toLowerCase() === r.measurement.toLowerCase() &&
        onchain.expiresAt >= r.expiresAt
      ) {
        this.registered(p);
        return;
      }
      const chosen = signatures.slice(0, set.f + 1).map((s) => s.signature);
      const tx = await this.deps.chain.registerEnclave(r, chosen, this.rounds.signal);
      this.registered(p);
      this.metrics?.enclaveRegistrationsSubmitted.inc();
      this.deps.logger.info(
        { enclave: r.enclave, measurement: r.measurement, expiresAt: r.expiresAt.toString(), tx },
        "registered enclave key on chain",
      );
    } catch (err) {
      p.retryAt = now + this.options.takeoverMs;
      this.deps.logger.warn({ err, enclave: r.enclave }, "enclave key registration failed; will retry");
    }
  }

  private async regossip(p: Pending, now: number, force = false): Promise<void> {
    if (!force && now - p.lastGossip < this.options.regossipMs) return;
    const mine = p.signatures.get(this.deps.signer.address.toLowerCase());
    if (mine === undefined) return;
    p.lastGossip = now;
    try {
      await this.deps.publish(
        encodeEnclaveRegistrationSignatureMessage({
          ...p.registration,
          verifier: this.deps.signer.address,
          signature: mine.signature,
        }),
      );
    } catch (err) {
      this.deps.logger.debug({ err }, "gossip publish failed; will gossip again");
    }
  }

  private pendingFor(r: EnclaveRegistration): Pending | undefined {
    const id = `${keyId(r.enclave, r.measurement)}:${r.expiresAt}:${r.configDigest.toLowerCase()}`;
    let p = this.pending.get(id);
    if (p === undefined) {
      if (r.expiresAt * SECOND <= BigInt(this.now())) return undefined;
      bound(this.pending, this.options.maxEntries);
      p = {
        registration: r,
        signatures: new Map(),
        quorumSince: undefined,
        lastGossip: 0,
        retryAt: 0,
        done: false,
      };
      this.pending.set(id, p);
    }
    return p;
  }
}

function keyId(enclave: Address, measurement: Hex): string {
  return `${enclave.toLowerCase()}:${measurement.toLowerCase()}`;
}

/** Drops the oldest entries so that one more fits under `max`. */
function bound(map: Map<string, unknown>, max: number): void {
  while (map.size >= max) map.delete(map.keys().next().value as string);
}
