import {
  InferenceHubActions,
  type InferenceRequestRecord,
  inferenceHubAbi,
  ModelRegistryActions,
  OperatorRegistryActions,
  opgChain,
  TxSender,
} from "@opg/chain";
import type { OpgDomain } from "@opg/protocol";
import {
  type Address,
  type Chain,
  createPublicClient,
  type Hex,
  http,
  type LocalAccount,
  type PublicClient,
} from "viem";
import { getBlock, getChainId, readContract } from "viem/actions";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import type { ExpectedRequest } from "./answers.js";
import { missing } from "./args.js";
import { privateKeyFrom, type ResolvedOptions, resolveOptions } from "./resolveOptions.js";
import type { OpgClientOptions } from "./types.js";

const REMEMBERED_REQUESTS = 1_024;

/** What this client remembers of the requests it made (to check answers against them). */
export type KnownRequest = { modelId: Hex; inputHash: Hex; record?: InferenceRequestRecord | undefined };

/**
 * What every action of the client shares: the checked options, the account, the viem public client,
 * the hub's reader, the lazily made transaction sender and registries, and the requests it made.
 */
export class ClientContext {
  readonly o: ResolvedOptions;
  readonly hub: Address;
  /** The signing account (absent: read-only client). */
  readonly account: LocalAccount | undefined;
  /** The viem public client used for every read. */
  readonly publicClient: PublicClient;
  readonly reader: InferenceHubActions;
  private writer: InferenceHubActions | undefined;
  private sender: TxSender | undefined;
  private readonly txOptions: OpgClientOptions["tx"];
  private chainIdPromise: Promise<number> | undefined;
  private modelsPromise: Promise<ModelRegistryActions> | undefined;
  private registryPromise: Promise<OperatorRegistryActions> | undefined;
  private readonly known = new Map<string, KnownRequest>();

  constructor(options: OpgClientOptions) {
    this.o = resolveOptions(options);
    this.hub = this.o.hub;
    this.account =
      options.account === undefined
        ? undefined
        : typeof options.account === "string"
          ? privateKeyFrom(options.account)
          : options.account;
    this.txOptions = options.tx;
    const chain: Chain | undefined =
      this.o.chainId === undefined ? undefined : opgChain(this.o.chainId, this.o.rpcUrl);
    this.publicClient = createPublicClient({
      ...(chain ? { chain } : {}),
      transport: http(this.o.rpcUrl, { timeout: this.o.rpcTimeoutMs, retryCount: 1, retryDelay: 200 }),
      pollingInterval: this.o.pollIntervalMs,
    }) as PublicClient;
    this.reader = new InferenceHubActions(this.hub, { client: this.publicClient });
  }

  /** The chain id (read once from the RPC; must equal the `chainId` option when given). */
  chainId(): Promise<number> {
    this.chainIdPromise ??= onChain("Reading the chain id", () => getChainId(this.publicClient)).then(
      (id) => {
        if (this.o.chainId !== undefined && id !== this.o.chainId) {
          throw new OpgSdkError("CHAIN_ERROR", `The RPC serves chain ${id}, expected ${this.o.chainId}.`, {
            meta: { chainCode: "CHAIN_MISMATCH", expected: this.o.chainId, actual: id },
          });
        }
        return id;
      },
      (error: unknown) => {
        this.chainIdPromise = undefined;
        throw error;
      },
    );
    return this.chainIdPromise;
  }

  /** The EIP-712 domain of this hub: `{chainId, verifyingContract: hub}`. */
  async domain(): Promise<OpgDomain> {
    return { chainId: await this.chainId(), verifyingContract: this.hub };
  }

  requireAccount(what: string): LocalAccount {
    if (!this.account) throw missing("account", what);
    return this.account;
  }

  /** The hub's actions with a transaction sender for this client's account (made on first use). */
  async hubWriter(): Promise<InferenceHubActions> {
    if (this.writer) return this.writer;
    const account = this.requireAccount("sending transactions");
    const chainId = await this.chainId();
    this.sender ??= new TxSender(
      { receiptPollIntervalMs: 250, ...this.txOptions, chainId },
      { client: this.publicClient, account },
    );
    this.sender.start();
    this.writer = new InferenceHubActions(this.hub, { client: this.publicClient, sender: this.sender });
    return this.writer;
  }

  /** The hub's ModelRegistry (its address read once from the hub). */
  models(): Promise<ModelRegistryActions> {
    this.modelsPromise ??= readContract(this.publicClient, {
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "modelRegistry",
    }).then(
      (address) => new ModelRegistryActions(address, { client: this.publicClient }),
      (error: unknown) => {
        this.modelsPromise = undefined;
        throw error;
      },
    );
    return this.modelsPromise;
  }

  /** The hub's OperatorRegistry (its address read once from the hub). */
  registry(): Promise<OperatorRegistryActions> {
    this.registryPromise ??= readContract(this.publicClient, {
      address: this.hub,
      abi: inferenceHubAbi,
      functionName: "operatorRegistry",
    }).then(
      (address) => new OperatorRegistryActions(address, { client: this.publicClient }),
      (error: unknown) => {
        this.registryPromise = undefined;
        throw error;
      },
    );
    return this.registryPromise;
  }

  async assertActiveExecutor(executor: Address): Promise<void> {
    const active = await onChain("Checking the executor", async () =>
      (await this.registry()).isActiveExecutor(executor),
    );
    if (!active) {
      throw new OpgSdkError("UNKNOWN_EXECUTOR", `${executor} is not an active registered executor.`, {
        meta: { executor },
      });
    }
  }

  async latestTimestamp(): Promise<bigint> {
    const block = await onChain("Reading the latest block", () =>
      getBlock(this.publicClient, { blockTag: "latest" }),
    );
    return block.timestamp;
  }

  remember(requestId: Hex, known: KnownRequest): void {
    this.known.set(requestId.toLowerCase(), known);
    if (this.known.size > REMEMBERED_REQUESTS) this.known.delete(this.known.keys().next().value as string);
  }

  /** What this client sent for `requestId` (undefined: not a request of this client). */
  recall(requestId: Hex): KnownRequest | undefined {
    return this.known.get(requestId);
  }

  expected(requestId: Hex): ExpectedRequest {
    const known = this.known.get(requestId);
    return { requestId, modelId: known?.modelId, inputHash: known?.inputHash };
  }

  /** Stops the transaction sender (pending sends fail with ABORTED). */
  close(): void {
    this.sender?.stop();
  }
}
