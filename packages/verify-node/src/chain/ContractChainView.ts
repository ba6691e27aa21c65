import {
  BatchSettledWatcher,
  EnclaveRegistryActions,
  InferenceHubActions,
  InferenceRequestWatcher,
  ListingResolver,
  ModelRegistryActions,
  OperatorRegistryActions,
  type TxSender,
} from "@opg/chain";
import type { Logger, ProofMode } from "@opg/protocol";
import type { Address, Hex, PublicClient } from "viem";
import type {
  BatchHeader,
  ChainView,
  EnclaveRegistrationRecord,
  ExecutorEquivocation,
  OnchainRequest,
  TeeChainView,
  VerifierEquivocation,
  VerifierSet,
  ZkListing,
} from "./ChainView.js";

export type ContractAddresses = {
  hub: Address;
  operatorRegistry: Address;
  modelRegistry: Address;
  /** Needed for TEE mode's enclave key registration. */
  enclaveRegistry?: Address | undefined;
};

/**
 * The verifier's view of the opg contracts, through `@opg/chain`'s typed actions: reads through
 * the client, writes through the transaction sender (a write's `signal` reaches the sender, so
 * aborting it gives up the wait for its receipt).
 */
export class ContractChainView implements ChainView, TeeChainView {
  readonly chainId: number;
  readonly hub: Address;
  /** Model listings (uncached here: the RegistryCache caches). */
  readonly listings: ListingResolver;
  private readonly hubActions: InferenceHubActions;
  private readonly operators: OperatorRegistryActions;
  private readonly models: ModelRegistryActions;
  private readonly enclaves: EnclaveRegistryActions | undefined;

  constructor(
    private readonly deps: {
      chainId: number;
      client: PublicClient;
      addresses: ContractAddresses;
      /** Sends settlements, challenges and enclave registrations (started by its owner). */
      sender: TxSender;
      /** Block to start event searches from (the deployment block). */
      fromBlock: bigint;
      /** Publishers whose listings direct requests resolve to, in order (see ListingResolver). */
      publishers: readonly Address[];
      /** Blocks a `BatchSettled` event must be buried under (default 0). */
      confirmations?: number | undefined;
      /** How often the settlement watcher polls (default 1 s). */
      pollIntervalMs?: number | undefined;
      logger?: Logger | undefined;
    },
  ) {
    this.chainId = deps.chainId;
    this.hub = deps.addresses.hub;
    this.listings = new ListingResolver(
      { publishers: deps.publishers, ttlMs: 0 },
      { client: deps.client, modelRegistry: deps.addresses.modelRegistry },
    );
    const actions = { client: deps.client, sender: deps.sender };
    this.hubActions = new InferenceHubActions(deps.addresses.hub, actions);
    this.operators = new OperatorRegistryActions(deps.addresses.operatorRegistry, actions);
    this.models = new ModelRegistryActions(deps.addresses.modelRegistry, actions);
    const enclaveRegistry = deps.addresses.enclaveRegistry;
    this.enclaves = enclaveRegistry && new EnclaveRegistryActions(enclaveRegistry, actions);
  }

  isActiveExecutor(signer: Address): Promise<boolean> {
    return this.operators.isActiveExecutor(signer);
  }

  async modelModes(modelId: Hex, executor?: Address): Promise<number | undefined> {
    const listing = await this.listings.forRequest(modelId, undefined, executor);
    return listing === undefined || listing.modes === 0 ? undefined : listing.modes;
  }

  async zkListing(modelId: Hex, listingId?: Hex, executor?: Address): Promise<ZkListing | undefined> {
    const l = await this.listings.forRequest(modelId, listingId, executor);
    return l === undefined
      ? undefined
      : {
          listingId: l.listingId,
          weightsCommitment: l.weightsCommitment,
          vkHash: l.vkHash,
          sealed: l.zkKeySealed,
          transcriptHash: l.transcriptHash,
        };
  }

  async modelMeasurements(modelId: Hex, listingId?: Hex, executor?: Address): Promise<readonly Hex[]> {
    const l = await this.listings.forRequest(modelId, listingId, executor);
    if (l === undefined) return [];
    return this.models.measurements(l.listingId);
  }

  enclaveRegistration(enclave: Address): Promise<EnclaveRegistrationRecord> {
    return this.enclaveActions().enclave(enclave);
  }

  async registerEnclave(
    r: EnclaveRegistrationRecord & { enclave: Address; configDigest: Hex },
    signatures: readonly Hex[],
    signal?: AbortSignal,
  ): Promise<Hex> {
    const registration = {
      enclave: r.enclave,
      measurement: r.measurement,
      expiresAt: r.expiresAt,
      configDigest: r.configDigest,
    };
    return (await this.enclaveActions().registerEnclave(registration, signatures, { signal })).hash;
  }

  private enclaveActions(): EnclaveRegistryActions {
    if (this.enclaves === undefined) throw new Error("The deployment names no EnclaveRegistry.");
    return this.enclaves;
  }

  async onchainRequest(requestId: Hex): Promise<OnchainRequest | undefined> {
    const e = await this.hubActions.inferenceRequest(requestId, { fromBlock: this.deps.fromBlock });
    if (e === undefined) return undefined;
    const r = e.request;
    return { modelId: r.modelId, listingId: r.listingId, inputHash: r.inputHash, mode: r.mode };
  }

  async verifierConfig(): Promise<VerifierSet> {
    const { configDigest, f, signers } = await this.operators.getVerifierSet();
    return { configDigest, signers: [...signers], f };
  }

  lastBatchId(): Promise<bigint> {
    return this.hubActions.lastBatchId();
  }

  watchSettlements(
    opts: Parameters<ChainView["watchSettlements"]>[0],
  ): ReturnType<ChainView["watchSettlements"]> {
    const watcher = new BatchSettledWatcher(this.watchOptions(), {
      client: this.deps.client,
      checkpoint: opts.checkpoint,
      logger: this.deps.logger,
      onSettled: (s) => opts.onSettled(s),
    });
    return { start: () => watcher.start(), stop: () => watcher.stop() };
  }

  watchRequests(
    opts: Parameters<NonNullable<ChainView["watchRequests"]>>[0],
  ): ReturnType<NonNullable<ChainView["watchRequests"]>> {
    const watcher = new InferenceRequestWatcher(this.watchOptions(), {
      client: this.deps.client,
      checkpoint: opts.checkpoint,
      logger: this.deps.logger,
      onRequest: ({ requestId, request: r }) =>
        opts.onRequest(requestId, {
          modelId: r.modelId,
          listingId: r.listingId,
          inputHash: r.inputHash,
          mode: r.mode,
        }),
    });
    return { start: () => watcher.start(), stop: () => watcher.stop() };
  }

  private watchOptions() {
    return {
      hub: this.hub,
      fromBlock: this.deps.fromBlock,
      confirmations: this.deps.confirmations ?? 0,
      pollIntervalMs: this.deps.pollIntervalMs ?? 1_000,
    };
  }

  async settleBatch(header: BatchHeader, signatures: readonly Hex[], signal?: AbortSignal): Promise<Hex> {
    return (await this.hubActions.settleBatch(header, signatures, { signal, label: "settleBatch" })).hash;
  }

  async challengeExecutor(e: ExecutorEquivocation, signal?: AbortSignal): Promise<Hex> {
    // The mode is what the executor signed; the hub checks the evidence, not the mode's range.
    const strip = ({ signature: _, ...r }: ExecutorEquivocation["a"]) => ({
      ...r,
      mode: r.mode as ProofMode,
    });
    const tx = await this.hubActions.challengeExecutorEquivocation(
      strip(e.a),
      e.a.signature,
      strip(e.b),
      e.b.signature,
      { signal },
    );
    return tx.hash;
  }

  async challengeVerifier(e: VerifierEquivocation, signal?: AbortSignal): Promise<Hex> {
    const strip = ({ signature: _, ...h }: VerifierEquivocation["a"]) => h;
    const tx = await this.hubActions.challengeVerifierEquivocation(
      strip(e.a),
      e.a.signature,
      strip(e.b),
      e.b.signature,
      { signal },
    );
    return tx.hash;
  }
}
