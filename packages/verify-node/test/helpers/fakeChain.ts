import {
  configDigest,
  type EnclaveRegistration,
  type OpgDomain,
  recoverEnclaveRegistrationSigner,
} from "@opg/protocol";
import { type Address, type Hex, isAddressEqual, keccak256, toHex, zeroHash } from "viem";
import type {
  ChainView,
  EnclaveRegistrationRecord,
  TeeChainView,
  VerifierSet,
} from "../../src/chain/ChainView.js";

/**
 * An in-memory chain for unit tests: a fixed verifier set, registered executors and models
 * (modes and measurements), and an EnclaveRegistry that checks f + 1 signatures like the
 * contract. Batch settlement and challenges are not modelled.
 */
export class FakeChain {
  readonly set: VerifierSet;
  readonly executors = new Set<string>();
  readonly models = new Map<string, { modes: number; measurements: Hex[] }>();
  readonly enclaves = new Map<string, EnclaveRegistrationRecord>();
  readonly submissions: { registration: EnclaveRegistration; by: Address }[] = [];
  /** Unix seconds of the fake chain (block.timestamp). */
  timestamp = () => BigInt(Math.floor(Date.now() / 1000));
  reads = 0;
  failReads = false;

  constructor(
    readonly domain: OpgDomain,
    signers: Address[],
    f: number,
  ) {
    this.set = {
      configDigest: configDigest({
        chainId: domain.chainId,
        registry: `0x${keccak256(toHex("registry")).slice(26)}` as Address,
        configCount: 1n,
        signers,
        f,
      }),
      signers,
      f,
    };
  }

  /** The chain as one verifier sees it (submissions are recorded as its own). */
  viewFor(me: Address): ChainView & TeeChainView {
    const unsupported = () => Promise.reject(new Error("not modelled"));
    return {
      chainId: this.domain.chainId,
      hub: this.domain.verifyingContract,
      isActiveExecutor: async (signer) => this.executors.has(signer.toLowerCase()),
      modelModes: async (modelId) => this.models.get(modelId.toLowerCase())?.modes,
      onchainRequest: async () => undefined,
      verifierConfig: async () => this.set,
      lastBatchId: async () => 0n,
      watchSettlements: () => ({ start: async () => {}, stop: async () => {} }),
      settleBatch: unsupported,
      challengeExecutor: unsupported,
      challengeVerifier: unsupported,
      modelMeasurements: async (modelId) => {
        this.reads++;
        if (this.failReads) throw new Error("RPC down");
        return [...(this.models.get(modelId.toLowerCase())?.measurements ?? [])];
      },
      enclaveRegistration: async (enclave) =>
        this.enclaves.get(enclave.toLowerCase()) ?? { measurement: zeroHash, expiresAt: 0n },
      registerEnclave: async (r, signatures) => this.register(r, signatures, me),
    };
  }

  private async register(r: EnclaveRegistration, signatures: readonly Hex[], by: Address): Promise<Hex> {
    const now = this.timestamp();
    if (r.expiresAt <= now || r.expiresAt > now + 86_400n) throw new Error("InvalidExpiry");
    if (r.configDigest !== this.set.configDigest) throw new Error("ConfigDigestMismatch");
    const current = this.enclaves.get(r.enclave.toLowerCase());
    if (current !== undefined && now < current.expiresAt) {
      if (current.measurement !== r.measurement) throw new Error("MeasurementMismatch");
      if (r.expiresAt <= current.expiresAt) throw new Error("RegistrationNotNewer");
    }
    const signers = new Set<string>();
    for (const s of signatures) {
      const signer = recoverEnclaveRegistrationSigner(this.domain, r, s);
      if (!this.set.signers.some((m) => isAddressEqual(m, signer))) throw new Error("SignerNotInConfig");
      if (signers.has(signer.toLowerCase())) throw new Error("DuplicateSigner");
      signers.add(signer.toLowerCase());
    }
    if (signers.size < this.set.f + 1) throw new Error("InsufficientSignatures");
    this.enclaves.set(r.enclave.toLowerCase(), { measurement: r.measurement, expiresAt: r.expiresAt });
    this.submissions.push({ registration: r, by });
    return keccak256(toHex(`tx-${this.submissions.length}`));
  }
}
