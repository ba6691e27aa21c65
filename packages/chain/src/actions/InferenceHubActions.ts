import { isProofMode, type ProofMode } from "@opg/protocol";
import { type Address, type Hex, type Log, parseEventLogs, zeroAddress } from "viem";
import { getContractEvents, readContract } from "viem/actions";
import { inferenceHubAbi, opgErrorsAbi } from "../abis.js";
import { ChainError } from "../errors/ChainError.js";
import type { TxResult } from "../tx/TxSender.js";
import { ContractActions, type ContractActionsDeps, classified } from "./ContractActions.js";
import type { ModelRegistryActions } from "./ModelRegistryActions.js";
import type {
  BatchHeader,
  InferenceRequestedEvent,
  InferenceRequestRecord,
  RequestStatusName,
  SignedResultFields,
  WriteOptions,
} from "./types.js";

/** A request to make; `fee` defaults to the listing's price. */
export type RequestInferenceParams = {
  /** The ModelRegistry listing the request trusts (see ModelRegistryActions.latestListing). */
  listingId: Hex;
  mode: ProofMode;
  /** Unix seconds after which the request can be refunded. */
  deadline: bigint;
  fee?: bigint | undefined;
  callback?: Address | undefined;
  callbackGasLimit?: number | undefined;
  /**
   * Highest gas price (wei) the deliverer is reimbursed at for the callback's gas (default 0: no
   * reimbursement). `callbackGasLimit × callbackGasPrice` is sent on top of `fee` and escrowed.
   */
  callbackGasPrice?: bigint | undefined;
} & ({ input: Hex } | { inputHash: Hex; inputURI: string });

/** The wei a request escrows for its callback's gas: `callbackGasLimit × callbackGasPrice`. */
export function callbackGasEscrow(callbackGasLimit: number, callbackGasPrice: bigint): bigint {
  return BigInt(callbackGasLimit) * callbackGasPrice;
}

/** What `requestInference` returns: the id the hub assigned, the committed record and the transaction. */
export type RequestInferenceResult = {
  requestId: Hex;
  request: InferenceRequestRecord;
  event: InferenceRequestedEvent;
  tx: TxResult;
};

/** Everything `deliver` needs: the request record, the output and the result's Merkle proof. */
export type DeliverParams = {
  requestId: Hex;
  request: InferenceRequestRecord;
  /** Canonical tensor encoding of the outputs. */
  output: Hex;
  /** The executor's signing address in the leaf. */
  executor: Address;
  batchId: bigint;
  proof: readonly Hex[];
};

/** Everything `settleWithProof` needs: the request record, its input and output, and the zk proof. */
export type SettleWithProofParams = Omit<DeliverParams, "batchId" | "proof"> & {
  /** Canonical tensor encoding of the inputs (keccak256 must equal `request.inputHash`). */
  input: Hex;
  /** Proof in the model verifier's format. */
  zkProof: Hex;
};

/** Inclusion of a result in a settled batch. */
export type VerifyResultParams = {
  batchId: bigint;
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
  proof: readonly Hex[];
};

const STATUS: Record<number, RequestStatusName> = { 0: "none", 1: "pending", 2: "delivered", 3: "refunded" };

export type InferenceHubActionsDeps = ContractActionsDeps & {
  /** For the default fee of a request (the model's price). */
  models?: ModelRegistryActions | undefined;
};

/** Typed reads and writes of the InferenceHub. */
export class InferenceHubActions extends ContractActions {
  private readonly models: ModelRegistryActions | undefined;

  constructor(address: Address, deps: InferenceHubActionsDeps) {
    super(address, deps);
    this.models = deps.models;
  }

  // ------------------------------------------------------------------ requests

  /** Requests inference (inline input, or by reference for large inputs) and returns the assigned requestId. */
  async requestInference(params: RequestInferenceParams): Promise<RequestInferenceResult> {
    const fee = params.fee ?? (await this.defaultFee(params.listingId));
    const callback = params.callback ?? zeroAddress;
    const callbackGasLimit = params.callbackGasLimit ?? 0;
    const callbackGasPrice = params.callbackGasPrice ?? 0n;
    const value = fee + callbackGasEscrow(callbackGasLimit, callbackGasPrice);
    const tx =
      "input" in params
        ? await this.sender.writeContract({
            address: this.address,
            abi: inferenceHubAbi,
            functionName: "requestInference",
            args: [
              params.listingId,
              params.input,
              params.mode,
              callback,
              callbackGasLimit,
              callbackGasPrice,
              params.deadline,
            ],
            value,
            errorAbi: opgErrorsAbi,
          })
        : await this.sender.writeContract({
            address: this.address,
            abi: inferenceHubAbi,
            functionName: "requestInferenceByRef",
            args: [
              params.listingId,
              params.inputHash,
              params.inputURI,
              params.mode,
              callback,
              callbackGasLimit,
              callbackGasPrice,
              params.deadline,
            ],
            value,
            errorAbi: opgErrorsAbi,
          });
    const [event] = this.parseInferenceRequested(tx.receipt.logs);
    if (!event) {
      throw new ChainError("UNKNOWN", "The request transaction emitted no InferenceRequested event.", {
        meta: { hash: tx.hash },
      });
    }
    return { requestId: event.requestId, request: event.request, event, tx };
  }

  /** Settles a batch root signed by f + 1 verifiers of the current set. */
  settleBatch(
    header: BatchHeader,
    signatures: readonly Hex[],
    options: WriteOptions = {},
  ): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "settleBatch",
      args: [header, signatures],
      errorAbi: opgErrorsAbi,
      label: options.label ?? `settleBatch(${header.batchId})`,
      signal: options.signal,
    });
  }

  /** Delivers a settled result (anyone may); pays the executor and calls the request's callback. */
  deliver(params: DeliverParams): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "deliver",
      args: [params.requestId, params.request, params.output, params.executor, params.batchId, params.proof],
      errorAbi: opgErrorsAbi,
    });
  }

  /**
   * The trustless ZK path (no batch, no quorum): delivers once the model's on-chain verifier accepts
   * `zkProof` for the input, output and executor. `input` must hash to `request.inputHash`.
   */
  settleWithProof(params: SettleWithProofParams): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "settleWithProof",
      args: [params.requestId, params.request, params.input, params.output, params.executor, params.zkProof],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Refunds an undelivered request after its deadline (credited to the requester; see `withdraw`). */
  refund(requestId: Hex, request: InferenceRequestRecord): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "refund",
      args: [requestId, request],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Withdraws the balance of `account` (fees, refunds) to `to`. */
  withdraw(account: Address, to: Address): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "withdraw",
      args: [account, to],
      errorAbi: opgErrorsAbi,
    });
  }

  // ------------------------------------------------------------------ governance (the network owner)

  /**
   * Network owner: sets the verifier fee share, basis points of each delivered fee credited to the
   * settler of batches settled from now on (at most `MAX_VERIFIER_FEE_BPS`, 5,000 = 50 %).
   */
  setVerifierFeeBps(bps: number): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "setVerifierFeeBps",
      args: [bps],
      errorAbi: opgErrorsAbi,
    });
  }

  /** Network owner: pauses new requests and settlement (delivery, refunds and withdrawals stay open). */
  pause(): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "pause",
      errorAbi: opgErrorsAbi,
    });
  }

  /** Network owner: lifts the pause. */
  unpause(): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "unpause",
      errorAbi: opgErrorsAbi,
    });
  }

  /** The fee split and pause state: the current share, its bound, whether paused, and the network owner. */
  async governance(): Promise<{
    verifierFeeBps: number;
    maxVerifierFeeBps: number;
    paused: boolean;
    owner: Address;
  }> {
    const read = <F extends "verifierFeeBps" | "MAX_VERIFIER_FEE_BPS" | "paused" | "owner">(
      functionName: F,
    ) =>
      classified(() =>
        readContract(this.client, { address: this.address, abi: inferenceHubAbi, functionName }),
      );
    const [verifierFeeBps, maxVerifierFeeBps, paused, owner] = await Promise.all([
      read("verifierFeeBps"),
      read("MAX_VERIFIER_FEE_BPS"),
      read("paused"),
      read("owner"),
    ]);
    return { verifierFeeBps, maxVerifierFeeBps, paused, owner };
  }

  /** The verifier fee share (basis points) of batches settled from now on. */
  verifierFeeBps(): Promise<number> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "verifierFeeBps",
      }),
    );
  }

  /** The verifier fee share (basis points) batch `batchId` settled under (0 when not settled). */
  batchVerifierFeeBps(batchId: bigint): Promise<number> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "batchVerifierFeeBps",
        args: [batchId],
      }),
    );
  }

  // ------------------------------------------------------------------ challenges

  /** Proves an executor key signed two different outputs for one request; slashes its owner. */
  challengeExecutorEquivocation(
    a: SignedResultFields,
    signatureA: Hex,
    b: SignedResultFields,
    signatureB: Hex,
    options: WriteOptions = {},
  ): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "challengeExecutorEquivocation",
      args: [a, signatureA, b, signatureB],
      errorAbi: opgErrorsAbi,
      label: options.label,
      signal: options.signal,
    });
  }

  /** Proves a verifier key signed two different headers for one (configDigest, batchId); slashes its owner. */
  challengeVerifierEquivocation(
    a: BatchHeader,
    signatureA: Hex,
    b: BatchHeader,
    signatureB: Hex,
    options: WriteOptions = {},
  ): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: inferenceHubAbi,
      functionName: "challengeVerifierEquivocation",
      args: [a, signatureA, b, signatureB],
      errorAbi: opgErrorsAbi,
      label: options.label,
      signal: options.signal,
    });
  }

  // ------------------------------------------------------------------ reads

  /** Whether a result is included in settled batch `batchId` (view; no transaction). */
  verifyResult(params: VerifyResultParams): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "verifyResult",
        args: [
          params.batchId,
          params.requestId,
          params.modelId,
          params.inputHash,
          params.outputHash,
          params.executor,
          params.proof,
        ],
      }),
    );
  }

  /** Like `verifyResult` for a precomputed result hash. */
  verifyResultHash(batchId: bigint, resultHash: Hex, proof: readonly Hex[]): Promise<boolean> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "verifyResultHash",
        args: [batchId, resultHash, proof],
      }),
    );
  }

  /** Root of a settled batch (zero hash when none). */
  batchRoot(batchId: bigint): Promise<Hex> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "batchRoot",
        args: [batchId],
      }),
    );
  }

  /** Highest settled batch id (0 before the first). */
  lastBatchId(): Promise<bigint> {
    return classified(() =>
      readContract(this.client, { address: this.address, abi: inferenceHubAbi, functionName: "lastBatchId" }),
    );
  }

  async requestStatus(requestId: Hex): Promise<RequestStatusName> {
    const status = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "requestStatus",
        args: [requestId],
      }),
    );
    return STATUS[status] ?? "none";
  }

  /** Withdrawable balance of `account` (executor fees, refunds). */
  balanceOf(account: Address): Promise<bigint> {
    return classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        functionName: "balanceOf",
        args: [account],
      }),
    );
  }

  /** `InferenceRequested` events in a block range (one-off scan; use `InferenceRequestWatcher` to follow). */
  async getInferenceRequests(range: {
    fromBlock: bigint;
    toBlock: bigint;
  }): Promise<InferenceRequestedEvent[]> {
    const logs = await classified(() =>
      getContractEvents(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        eventName: "InferenceRequested",
        fromBlock: range.fromBlock,
        toBlock: range.toBlock,
        strict: true,
      }),
    );
    return logs.map((log) => toInferenceRequestedEvent(log));
  }

  /** The `InferenceRequested` event of one request (searched from `fromBlock`), or undefined when none. */
  async inferenceRequest(
    requestId: Hex,
    range: { fromBlock: bigint },
  ): Promise<InferenceRequestedEvent | undefined> {
    const logs = await classified(() =>
      getContractEvents(this.client, {
        address: this.address,
        abi: inferenceHubAbi,
        eventName: "InferenceRequested",
        args: { requestId },
        fromBlock: range.fromBlock,
        strict: true,
      }),
    );
    const log = logs[0];
    return log ? toInferenceRequestedEvent(log) : undefined;
  }

  /** Decodes the `InferenceRequested` events of this hub among `logs` (e.g. a receipt's). */
  parseInferenceRequested(logs: readonly Log[]): InferenceRequestedEvent[] {
    return parseEventLogs({
      abi: inferenceHubAbi,
      eventName: "InferenceRequested",
      logs: [...logs],
      strict: true,
    })
      .filter((log) => log.address.toLowerCase() === this.address.toLowerCase())
      .map((log) => toInferenceRequestedEvent(log));
  }

  private async defaultFee(listingId: Hex): Promise<bigint> {
    if (!this.models) {
      throw new ChainError(
        "INVALID_OPTIONS",
        "No fee given and no ModelRegistry to read the listing's price from.",
      );
    }
    return (await this.models.requestTerms(listingId)).price;
  }
}

/** The fields of a decoded `InferenceRequested` log. */
type InferenceRequestedLog = {
  args: {
    requestId: Hex;
    modelId: Hex;
    requester: Address;
    request: Omit<InferenceRequestRecord, "mode"> & { mode: number };
    input: Hex;
    inputURI: string;
  };
  blockNumber: bigint | null;
  blockHash: Hex | null;
  logIndex: number | null;
  transactionHash: Hex | null;
};

/** Maps a decoded log to the public event shape (throws on a pending log or an unknown mode). */
export function toInferenceRequestedEvent(log: InferenceRequestedLog): InferenceRequestedEvent {
  const { args } = log;
  if (
    log.blockNumber === null ||
    log.blockHash === null ||
    log.logIndex === null ||
    log.transactionHash === null
  ) {
    throw new ChainError("INVALID_REQUEST", "InferenceRequested log is pending (no block).");
  }
  const mode = args.request.mode;
  if (!isProofMode(mode)) throw new ChainError("UNKNOWN", `InferenceRequested carries unknown mode ${mode}.`);
  return {
    requestId: args.requestId,
    modelId: args.modelId,
    requester: args.requester,
    request: { ...args.request, mode },
    input: args.input,
    inputURI: args.inputURI,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
  };
}
