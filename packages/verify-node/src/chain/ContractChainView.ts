import { ListingResolver, LogWatcher } from "@opg/chain";
import { enclaveRegistryAbi, inferenceHubAbi, modelRegistryAbi, operatorRegistryAbi } from "@opg/contracts";
import type { Logger } from "@opg/protocol";
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  getAbiItem,
  type Hex,
  type PublicClient,
} from "viem";
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

/** Sends one contract call as a transaction and resolves with its hash once mined successfully. */
export type ContractWriter = <
  const abi extends Abi,
  name extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(call: {
  address: Address;
  abi: abi;
  functionName: name;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", name>;
  signal?: AbortSignal | undefined;
}) => Promise<Hex>;

export type ContractAddresses = {
  hub: Address;
  operatorRegistry: Address;
  modelRegistry: Address;
  /** Needed for TEE mode's enclave key registration. */
  enclaveRegistry?: Address | undefined;
};

const batchSettled = getAbiItem({ abi: inferenceHubAbi, name: "BatchSettled" });
const inferenceRequested = getAbiItem({ abi: inferenceHubAbi, name: "InferenceRequested" });

/** The verifier's view of the opg contracts, on viem. */
export class ContractChainView implements ChainView, TeeChainView {
  readonly chainId: number;
  readonly hub: Address;
  /** Model listings (uncached here: the RegistryCache caches). */
  readonly listings: ListingResolver;

  constructor(
    private readonly deps: {
      chainId: number;
      client: PublicClient;
      addresses: ContractAddresses;
      write: ContractWriter;
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
  }

  isActiveExecutor(signer: Address): Promise<boolean> {
    return this.deps.client.readContract({
      address: this.deps.addresses.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "isActiveExecutor",
      args: [signer],
    });
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
    return this.deps.client.readContract({
      address: this.deps.addresses.modelRegistry,
      abi: modelRegistryAbi,
      functionName: "measurements",
      args: [l.listingId],
    });
  }

  async enclaveRegistration(enclave: Address): Promise<EnclaveRegistrationRecord> {
    const [measurement, expiresAt] = await this.deps.client.readContract({
      address: this.enclaveRegistry(),
      abi: enclaveRegistryAbi,
      functionName: "enclave",
      args: [enclave],
    });
    return { measurement, expiresAt };
  }

  registerEnclave(
    r: EnclaveRegistrationRecord & { enclave: Address; configDigest: Hex },
    signatures: readonly Hex[],
    signal?: AbortSignal,
  ): Promise<Hex> {
    return this.deps.write({
      address: this.enclaveRegistry(),
      abi: enclaveRegistryAbi,
      functionName: "registerEnclave",
      args: [
        {
          enclave: r.enclave,
          measurement: r.measurement,
          expiresAt: r.expiresAt,
          configDigest: r.configDigest,
        },
        [...signatures],
      ],
      signal,
    });
  }

  private enclaveRegistry(): Address {
    const address = this.deps.addresses.enclaveRegistry;
    if (address === undefined) throw new Error("The deployment names no EnclaveRegistry.");
    return address;
  }

  async onchainRequest(requestId: Hex): Promise<OnchainRequest | undefined> {
    const logs = await this.deps.client.getContractEvents({
      address: this.hub,
      abi: inferenceHubAbi,
      eventName: "InferenceRequested",
      args: { requestId },
      fromBlock: this.deps.fromBlock,
      strict: true,
    });
    const r = logs[0]?.args.request;
    return r
      ? { modelId: r.modelId, listingId: r.listingId, inputHash: r.inputHash, mode: r.mode }
      : undefined;
  }

  async verifierConfig(): Promise<VerifierSet> {
    const [configDigest, , f, signers] = await this.deps.client.readContract({
      address: this.deps.addresses.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "verifierConfig",
    });
    return { configDigest, signers: [...signers], f };
  }

  lastBatchId(): Promise<bigint> {
    return this.deps.client.readContract({
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "lastBatchId",
    });
  }

  watchSettlements(
    opts: Parameters<ChainView["watchSettlements"]>[0],
  ): ReturnType<ChainView["watchSettlements"]> {
    const watcher = new LogWatcher(
      {
        address: this.hub,
        fromBlock: this.deps.fromBlock,
        confirmations: this.deps.confirmations ?? 0,
        pollIntervalMs: this.deps.pollIntervalMs ?? 1_000,
        name: "batch-settled",
      },
      {
        client: this.deps.client,
        checkpoint: opts.checkpoint,
        event: batchSettled,
        logger: this.deps.logger,
        onLog: (log) =>
          opts.onSettled({
            batchId: log.args.batchId,
            root: log.args.root,
            count: log.args.count,
            tx: log.transactionHash,
          }),
      },
    );
    return { start: () => watcher.start(), stop: () => watcher.stop() };
  }

  watchRequests(
    opts: Parameters<NonNullable<ChainView["watchRequests"]>>[0],
  ): ReturnType<NonNullable<ChainView["watchRequests"]>> {
    const watcher = new LogWatcher(
      {
        address: this.hub,
        fromBlock: this.deps.fromBlock,
        confirmations: this.deps.confirmations ?? 0,
        pollIntervalMs: this.deps.pollIntervalMs ?? 1_000,
        name: "inference-requested",
      },
      {
        client: this.deps.client,
        checkpoint: opts.checkpoint,
        event: inferenceRequested,
        logger: this.deps.logger,
        onLog: (log) => {
          const r = log.args.request;
          opts.onRequest(log.args.requestId, {
            modelId: r.modelId,
            listingId: r.listingId,
            inputHash: r.inputHash,
            mode: r.mode,
          });
        },
      },
    );
    return { start: () => watcher.start(), stop: () => watcher.stop() };
  }

  settleBatch(header: BatchHeader, signatures: readonly Hex[], signal?: AbortSignal): Promise<Hex> {
    return this.deps.write({
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "settleBatch",
      args: [header, [...signatures]],
      signal,
    });
  }

  challengeExecutor(e: ExecutorEquivocation, signal?: AbortSignal): Promise<Hex> {
    const strip = ({ signature: _, ...r }: ExecutorEquivocation["a"]) => r;
    return this.deps.write({
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "challengeExecutorEquivocation",
      args: [strip(e.a), e.a.signature, strip(e.b), e.b.signature],
      signal,
    });
  }

  challengeVerifier(e: VerifierEquivocation, signal?: AbortSignal): Promise<Hex> {
    const strip = ({ signature: _, ...h }: VerifierEquivocation["a"]) => h;
    return this.deps.write({
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "challengeVerifierEquivocation",
      args: [strip(e.a), e.a.signature, strip(e.b), e.b.signature],
      signal,
    });
  }
}
