import { type Logger, noopLogger } from "@opg/protocol";
import {
  type Abi,
  type Address,
  BaseError,
  type Client,
  type ContractFunctionArgs,
  type ContractFunctionName,
  Eip1559FeesNotSupportedError,
  type EncodeFunctionDataParameters,
  encodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type LocalAccount,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type TransactionSerializable,
} from "viem";
import {
  call,
  estimateContractGas,
  estimateFeesPerGas,
  estimateGas,
  getBlockNumber,
  getChainId,
  getGasPrice,
  getTransaction,
  getTransactionCount,
  getTransactionReceipt,
  sendRawTransaction,
} from "viem/actions";
import { ChainError, type ChainRetryableError, RevertedError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import { backoffDelay, defaultBackoffOptions } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";
import { type RetryOptions, withRetry } from "../retry/withRetry.js";
import { bumpFees, capFees, feeCeiling, isValidReplacement, type TxFees } from "./fees.js";
import { Mutex } from "./Mutex.js";

export type TxSenderOptions = {
  /** Expected chain id; checked against the RPC before the first transaction. `undefined`: take the RPC's. */
  chainId: number | undefined;
  /** Gas limit = estimate × (1 + headroom/100). */
  gasHeadroomPercent: number;
  /** A replacement raises every fee component by this much (≥ 10, what nodes require). */
  feeBumpPercent: number;
  /** Without a receipt for this long after the last broadcast, the transaction is replaced with higher fees. */
  stuckTimeoutMs: number;
  /** Most replacements per transaction; after that it is only waited for. */
  maxReplacements: number;
  /** The most the sender pays per gas (fee cap, or gas price); `undefined`: no cap. */
  maxFeePerGas: bigint | undefined;
  /** `auto`: EIP-1559 when the chain has a base fee, legacy otherwise. */
  feeMode: "auto" | "eip1559" | "legacy";
  /** Blocks (the receipt's included) before a transaction counts as mined. */
  confirmations: number;
  receiptPollIntervalMs: number;
  /** Give up waiting (TX_TIMEOUT) after this long; the transaction may still be mined later. */
  receiptTimeoutMs: number;
  /** Retries of individual RPC calls (estimate, broadcast, nonce, fees). */
  rpcRetry: RetryOptions;
};

export const defaultTxSenderOptions: TxSenderOptions = {
  chainId: undefined,
  gasHeadroomPercent: 20,
  feeBumpPercent: 15,
  stuckTimeoutMs: 45_000,
  maxReplacements: 5,
  maxFeePerGas: undefined,
  feeMode: "auto",
  confirmations: 1,
  receiptPollIntervalMs: 1_000,
  receiptTimeoutMs: 300_000,
  rpcRetry: { attempts: 8, backoff: { ...defaultBackoffOptions, initialDelayMs: 250, maxDelayMs: 8_000 } },
};

/** Optional callbacks for metrics (no prom-client dependency here). */
export type TxSenderMetrics = {
  /** A transaction (or replacement number `replacement` ≥ 1) was broadcast. */
  onBroadcast?(e: {
    label: string | undefined;
    hash: Hash;
    nonce: number;
    replacement: number;
    fees: TxFees;
  }): void;
  /** A transaction was mined (and confirmed). */
  onMined?(e: {
    label: string | undefined;
    hash: Hash;
    status: "success" | "reverted";
    gasUsed: bigint;
    seconds: number;
  }): void;
  /** A send failed with a bounded code. */
  onFailed?(e: { label: string | undefined; code: string }): void;
  /** An RPC call failed (bounded code); it may have been retried. */
  onRpcError?(code: string): void;
};

export type TxSenderDeps = {
  logger?: Logger | undefined;
  /** Any viem client for reads and `eth_sendRawTransaction`. */
  client: Client;
  /** The signing account (a local key: the sender signs and broadcasts raw transactions itself). */
  account: LocalAccount;
  metrics?: TxSenderMetrics | undefined;
};

/** A transaction to send. */
export type TxRequest = {
  /** The callee; absent for a contract creation (`data` is then the init code). */
  to?: Address | undefined;
  data?: Hex | undefined;
  value?: bigint | undefined;
  /** Gas limit; estimated (with headroom) when absent. */
  gas?: bigint | undefined;
  /** ABI used to decode a revert into a named custom error. */
  abi?: Abi | undefined;
  /** What this is, for logs and metrics (e.g. `settleBatch`). */
  label?: string | undefined;
  /** Gives up the send (see ChainError `ABORTED`); stopping the sender aborts every send too. */
  signal?: AbortSignal | undefined;
};

type WriteMutability = "nonpayable" | "payable";

/** A contract call to send, typed by its ABI like viem's `writeContract`. */
export type WriteContractRequest<
  abi extends Abi | readonly unknown[] = Abi,
  functionName extends ContractFunctionName<abi, WriteMutability> = ContractFunctionName<
    abi,
    WriteMutability
  >,
> = {
  address: Address;
  abi: abi;
  functionName: functionName;
  args?: ContractFunctionArgs<abi, WriteMutability, functionName> | undefined;
  value?: bigint | undefined;
  gas?: bigint | undefined;
  label?: string | undefined;
  /** Extra error definitions to decode reverts bubbled up from other contracts. */
  errorAbi?: Abi | undefined;
  /** Gives up the send (see ChainError `ABORTED`). */
  signal?: AbortSignal | undefined;
};

/** A mined, successful transaction. */
export type TxResult = {
  /** Hash of the transaction that was mined (the original or a replacement). */
  hash: Hash;
  nonce: number;
  receipt: TransactionReceipt;
  /** Every hash broadcast for this nonce, oldest first. */
  hashes: Hash[];
  /** Replacements broadcast (0 when the first transaction was mined). */
  replacements: number;
};

/** One nonce's transaction and its replacements. */
type Pending = {
  request: TxRequest & { gas: bigint };
  nonce: number;
  fees: TxFees;
  hashes: Hash[];
  /** The latest signed transaction (rebroadcast when it cannot be replaced). */
  serialized: Hex;
  lastBroadcastAt: number;
  replacements: number;
  startedAt: number;
};

/**
 * Sends transactions from one local account: local nonce tracking (resynced from the chain on
 * nonce errors), gas estimation with headroom, fee bumping of stuck transactions (same nonce,
 * higher fees), receipts with confirmations, and retries of transient RPC failures. An RPC
 * outage delays a send (bounded by `receiptTimeoutMs` and `rpcRetry`) but never breaks the sender.
 *
 * Sends may run concurrently: nonces are assigned and broadcast one at a time, in call order;
 * receipts are awaited in parallel.
 */
export class TxSender {
  readonly name = "chain-sender";
  readonly options: TxSenderOptions;
  private readonly deps: TxSenderDeps;
  private readonly logger: Logger;
  private readonly lock = new Mutex();
  private controller: AbortController | undefined;
  private nextNonce: number | undefined;
  private chainId: number | undefined;
  private feeType: "eip1559" | "legacy" | undefined;
  private inFlight = 0;

  constructor(options: Partial<TxSenderOptions>, deps: TxSenderDeps) {
    this.options = { ...defaultTxSenderOptions, ...options };
    validateOptions(this.options);
    this.deps = deps;
    this.logger = (deps.logger ?? noopLogger).child({ module: this.name, account: deps.account.address });
    if (this.options.feeMode !== "auto") this.feeType = this.options.feeMode;
  }

  get address(): Address {
    return this.deps.account.address;
  }

  /** Starts accepting sends. Touches no RPC: the chain and nonce are read on first use. */
  start(signal?: AbortSignal): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
  }

  /** Stops: sends still waiting fail with STOPPED (their transactions may still be mined). */
  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    this.nextNonce = undefined;
  }

  ready(): boolean {
    return this.controller !== undefined;
  }

  health(): Record<string, unknown> {
    return { nextNonce: this.nextNonce, inFlight: this.inFlight };
  }

  /** Encodes, estimates (reverts come back decoded), sends and waits for a contract call. */
  async writeContract<
    const abi extends Abi | readonly unknown[],
    functionName extends ContractFunctionName<abi, WriteMutability>,
  >(request: WriteContractRequest<abi, functionName>): Promise<TxResult> {
    const signal = this.signal(request.signal);
    const abi = (request.errorAbi ? [...(request.abi as Abi), ...request.errorAbi] : request.abi) as Abi;
    const label = request.label ?? request.functionName;
    const data = encodeFunctionData({
      abi,
      functionName: request.functionName,
      args: request.args,
    } as EncodeFunctionDataParameters);
    let gas = request.gas;
    if (gas === undefined) {
      let estimate: bigint;
      try {
        estimate = await this.rpc(
          "estimateContractGas",
          () =>
            estimateContractGas(this.deps.client, {
              address: request.address,
              abi,
              functionName: request.functionName,
              args: request.args,
              account: this.address,
              value: request.value,
            } as Parameters<typeof estimateContractGas>[1]),
          signal,
          abi,
          label,
        );
      } catch (raw) {
        // A call that would revert fails here, before `send`: count it like a failed send.
        const error = this.asInterrupted(classifyError(raw, { abi }), request.signal);
        this.deps.metrics?.onFailed?.({ label, code: error.code });
        throw error;
      }
      gas = this.withHeadroom(estimate);
    }
    return this.send({
      to: request.address,
      data,
      value: request.value,
      gas,
      abi,
      label,
      signal: request.signal,
    });
  }

  /** Deploys a contract: a creation transaction with this init code. Resolves to its address. */
  async deployContract(initCode: Hex, label?: string): Promise<Address> {
    const { receipt } = await this.send({ data: initCode, label });
    if (!receipt.contractAddress) {
      throw new ChainError(
        "UNKNOWN",
        `The receipt of ${label ?? "the deployment"} names no contract address.`,
      );
    }
    return getAddress(receipt.contractAddress);
  }

  /** Sends a transaction and waits until it is mined; throws a classified error otherwise. */
  async send(request: TxRequest): Promise<TxResult> {
    const signal = this.signal(request.signal);
    this.inFlight++;
    try {
      const gas = request.gas ?? (await this.estimate(request, signal));
      const pending = await this.lock.run(() => this.broadcastNew({ ...request, gas }, signal));
      return await this.waitMined(pending, signal);
    } catch (raw) {
      const error = this.asInterrupted(classifyError(raw, { abi: request.abi }), request.signal);
      this.deps.metrics?.onFailed?.({ label: request.label, code: error.code });
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  // ------------------------------------------------------------------ broadcast

  /** Assigns the next nonce, signs and broadcasts; resyncs the nonce from the chain on nonce errors. */
  private async broadcastNew(request: TxRequest & { gas: bigint }, signal: AbortSignal): Promise<Pending> {
    const chainId = await this.resolveChainId(signal);
    const fees = await this.currentFees(signal, request.label);
    for (let attempt = 1; ; attempt++) {
      const nonce = await this.resolveNonce(signal);
      const { serialized, hash } = await this.sign(request, nonce, fees, chainId);
      try {
        await this.broadcast(serialized, hash, request, signal);
      } catch (raw) {
        const error = classifyError(raw, { abi: request.abi });
        // The chain moved (another process, a lost state): resync and try the next nonce.
        this.nextNonce = undefined;
        if ((error.code === "NONCE_TOO_LOW" || error.code === "NONCE_TOO_HIGH") && attempt < 3) {
          this.logger.warn(
            { nonce, code: error.code, label: request.label },
            "Nonce rejected; resyncing from chain",
          );
          continue;
        }
        throw error;
      }
      this.nextNonce = nonce + 1;
      this.deps.metrics?.onBroadcast?.({ label: request.label, hash, nonce, replacement: 0, fees });
      this.logger.info(
        { label: request.label, hash, nonce, gas: request.gas.toString() },
        "Transaction sent",
      );
      const now = Date.now();
      return {
        request,
        nonce,
        fees,
        hashes: [hash],
        serialized,
        lastBroadcastAt: now,
        replacements: 0,
        startedAt: now,
      };
    }
  }

  /**
   * `eth_sendRawTransaction` with retries. Rebroadcasting the same bytes is harmless: "already
   * known" means it arrived, and "nonce too low" after a lost answer may mean it was mined.
   */
  private async broadcast(
    serialized: Hex,
    hash: Hash,
    request: TxRequest,
    signal: AbortSignal,
  ): Promise<void> {
    let lostAnswers = 0;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw this.interrupted();
      try {
        await sendRawTransaction(this.deps.client, { serializedTransaction: serialized });
        return;
      } catch (raw) {
        const error = classifyError(raw, { abi: request.abi });
        if (error.code === "ALREADY_KNOWN") return;
        if (error.code === "NONCE_TOO_LOW" && lostAnswers > 0 && (await this.isKnown(hash, signal))) return;
        if (!error.retryable || attempt >= this.options.rpcRetry.attempts) throw error;
        lostAnswers++;
        this.deps.metrics?.onRpcError?.(error.code);
        const delay = this.backoff(attempt);
        this.logger.warn(
          { label: request.label, hash, code: error.code, attempt, delayMs: delay },
          "Broadcast failed; retrying",
        );
        await sleep(delay, signal);
      }
    }
  }

  private async isKnown(hash: Hash, signal: AbortSignal): Promise<boolean> {
    try {
      await this.rpc("getTransaction", () => getTransaction(this.deps.client, { hash }), signal);
      return true;
    } catch (error) {
      if (hasCause(error, TransactionNotFoundError)) return false;
      throw error;
    }
  }

  private async sign(
    request: TxRequest & { gas: bigint },
    nonce: number,
    fees: TxFees,
    chainId: number,
  ): Promise<{ serialized: Hex; hash: Hash }> {
    const base = {
      chainId,
      nonce,
      to: request.to,
      data: request.data ?? "0x",
      value: request.value ?? 0n,
      gas: request.gas,
    };
    const tx: TransactionSerializable =
      fees.type === "eip1559"
        ? {
            ...base,
            type: "eip1559",
            maxFeePerGas: fees.maxFeePerGas,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          }
        : { ...base, type: "legacy", gasPrice: fees.gasPrice };
    const serialized = await this.deps.account.signTransaction(tx);
    return { serialized, hash: keccak256(serialized) };
  }

  // ------------------------------------------------------------------ waiting and replacing

  private async waitMined(pending: Pending, signal: AbortSignal): Promise<TxResult> {
    const deadline = pending.startedAt + this.options.receiptTimeoutMs;
    let failures = 0;
    let droppedChecks = 0;
    while (true) {
      if (signal.aborted) throw this.interrupted(pending);
      let delay = this.options.receiptPollIntervalMs;
      try {
        const found = await this.findReceipt(pending);
        if (found) {
          const confirmed = await this.confirm(found, signal);
          if (confirmed) return await this.finish(pending, confirmed, signal);
        } else if (droppedChecks > 0 || Date.now() - pending.lastBroadcastAt >= this.options.stuckTimeoutMs) {
          // Not mined for a while: mined under another hash (someone else used the nonce), or stuck.
          if (await this.nonceConsumedByOther(pending)) {
            // Receipts can lag the nonce by a poll; only give up after a few looks.
            if (++droppedChecks >= 3) {
              throw new ChainError(
                "TX_DROPPED",
                "The nonce was used by a transaction that is none of ours.",
                {
                  meta: { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label },
                },
              );
            }
          } else {
            droppedChecks = 0;
            await this.replace(pending, signal);
          }
        }
        failures = 0;
      } catch (raw) {
        const error = classifyError(raw, { abi: pending.request.abi });
        if (!error.retryable) throw error;
        failures++;
        this.deps.metrics?.onRpcError?.(error.code);
        delay = this.backoff(failures);
        this.logger[failures === 1 ? "warn" : "debug"](
          {
            label: pending.request.label,
            nonce: pending.nonce,
            code: error.code,
            attempt: failures,
            delayMs: delay,
          },
          "Waiting for receipt: RPC failed; backing off",
        );
      }
      if (Date.now() >= deadline) {
        // The nonce may or may not be used in the end: read it from the chain next time.
        this.nextNonce = undefined;
        throw new ChainError("TX_TIMEOUT", "No receipt in time; the transaction may still be mined.", {
          meta: { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label },
        });
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
    }
  }

  /** The receipt of whichever of our transactions for this nonce was mined, if any. */
  private async findReceipt(pending: Pending): Promise<TransactionReceipt | undefined> {
    for (const hash of [...pending.hashes].reverse()) {
      try {
        return await getTransactionReceipt(this.deps.client, { hash });
      } catch (error) {
        if (!hasCause(error, TransactionReceiptNotFoundError)) throw error;
      }
    }
    return undefined;
  }

  /** True when the chain's mined nonce passed ours without any of our hashes being mined. */
  private async nonceConsumedByOther(pending: Pending): Promise<boolean> {
    const mined = await getTransactionCount(this.deps.client, { address: this.address, blockTag: "latest" });
    if (mined <= pending.nonce) return false;
    return (await this.findReceipt(pending)) === undefined;
  }

  /** Waits for `confirmations`; returns the receipt, or undefined when a reorg removed it. */
  private async confirm(
    receipt: TransactionReceipt,
    signal: AbortSignal,
  ): Promise<TransactionReceipt | undefined> {
    const needed = BigInt(this.options.confirmations);
    if (needed <= 1n) return receipt;
    while (!signal.aborted) {
      const head = await getBlockNumber(this.deps.client, { cacheTime: 0 });
      if (head - receipt.blockNumber + 1n >= needed) {
        try {
          const again = await getTransactionReceipt(this.deps.client, { hash: receipt.transactionHash });
          return again.blockHash === receipt.blockHash ? again : undefined;
        } catch (error) {
          if (hasCause(error, TransactionReceiptNotFoundError)) return undefined;
          throw error;
        }
      }
      await sleep(this.options.receiptPollIntervalMs, signal);
    }
    throw this.interrupted();
  }

  private async finish(
    pending: Pending,
    receipt: TransactionReceipt,
    signal: AbortSignal,
  ): Promise<TxResult> {
    const { label } = pending.request;
    const seconds = (Date.now() - pending.startedAt) / 1000;
    this.deps.metrics?.onMined?.({
      label,
      hash: receipt.transactionHash,
      status: receipt.status,
      gasUsed: receipt.gasUsed,
      seconds,
    });
    if (receipt.status === "reverted") {
      this.logger.warn(
        { label, hash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString() },
        "Transaction reverted",
      );
      throw await this.explainRevert(pending, receipt, signal);
    }
    this.logger.info(
      {
        label,
        hash: receipt.transactionHash,
        blockNumber: receipt.blockNumber.toString(),
        gasUsed: receipt.gasUsed.toString(),
        replacements: pending.replacements,
      },
      "Transaction mined",
    );
    return {
      hash: receipt.transactionHash,
      nonce: pending.nonce,
      receipt,
      hashes: [...pending.hashes],
      replacements: pending.replacements,
    };
  }

  /** Replays a mined, reverted transaction as a call at its block to recover the revert reason. */
  private async explainRevert(
    pending: Pending,
    receipt: TransactionReceipt,
    signal: AbortSignal,
  ): Promise<RevertedError> {
    const meta = { hash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString() };
    try {
      await this.rpc(
        "call",
        () =>
          call(this.deps.client, {
            account: this.address,
            to: pending.request.to,
            data: pending.request.data,
            value: pending.request.value,
            gas: pending.request.gas,
            blockNumber: receipt.blockNumber,
          }),
        signal,
        pending.request.abi,
      );
    } catch (error) {
      const classified = classifyError(error, { abi: pending.request.abi });
      if (classified instanceof RevertedError) {
        return new RevertedError({
          errorName: classified.errorName,
          args: classified.args,
          reason: classified.reason,
          data: classified.data,
          meta,
        });
      }
    }
    return new RevertedError({ meta });
  }

  /**
   * Rebroadcasts the same nonce with fees raised by `feeBumpPercent` (or what the network asks now).
   * Out of replacements, or at the fee cap, it rebroadcasts the last transaction unchanged instead
   * (an RPC that lost its mempool gets it back).
   */
  private async replace(pending: Pending, signal: AbortSignal): Promise<void> {
    const { label } = pending.request;
    const bumped =
      pending.replacements < this.options.maxReplacements
        ? capFees(
            bumpFees(pending.fees, await this.currentFees(signal, label, false), this.options.feeBumpPercent),
            this.options.maxFeePerGas,
          )
        : undefined;
    if (bumped === undefined || !isValidReplacement(pending.fees, bumped, 10)) {
      this.logger.warn(
        {
          label,
          nonce: pending.nonce,
          replacements: pending.replacements,
          maxFeePerGas: this.options.maxFeePerGas?.toString(),
        },
        bumped === undefined
          ? "Transaction stuck and out of replacements; rebroadcasting it"
          : "Transaction stuck but fees are at the configured cap; rebroadcasting it",
      );
      await this.rebroadcast(pending, pending.serialized, pending.hashes.at(-1) as Hash, signal);
      return;
    }
    const chainId = await this.resolveChainId(signal);
    const { serialized, hash } = await this.sign(pending.request, pending.nonce, bumped, chainId);
    const outcome = await this.rebroadcast(pending, serialized, hash, signal);
    if (outcome === "underpriced") {
      // The node holds a pricier version than we think: start from the bumped fees next time.
      pending.fees = bumped;
      this.logger.warn({ label, nonce: pending.nonce }, "Replacement underpriced; bumping again later");
      return;
    }
    if (outcome !== "sent") return;
    pending.fees = bumped;
    pending.hashes.push(hash);
    pending.serialized = serialized;
    pending.replacements++;
    this.deps.metrics?.onBroadcast?.({
      label,
      hash,
      nonce: pending.nonce,
      replacement: pending.replacements,
      fees: bumped,
    });
    this.logger.warn(
      {
        label,
        nonce: pending.nonce,
        hash,
        replacement: pending.replacements,
        maxFeePerGas: feeCeiling(bumped).toString(),
      },
      "Transaction stuck; replaced with higher fees",
    );
  }

  /** Broadcasts a transaction for a pending nonce; the outcomes a replacement can have. */
  private async rebroadcast(
    pending: Pending,
    serialized: Hex,
    hash: Hash,
    signal: AbortSignal,
  ): Promise<"sent" | "underpriced" | "nonce-used"> {
    pending.lastBroadcastAt = Date.now();
    try {
      await this.broadcast(serialized, hash, pending.request, signal);
      return "sent";
    } catch (raw) {
      const error = classifyError(raw, { abi: pending.request.abi });
      if (error.code === "REPLACEMENT_UNDERPRICED") return "underpriced";
      // Mined meanwhile (or taken by another transaction): the receipt polling sorts it out.
      if (error.code === "NONCE_TOO_LOW") return "nonce-used";
      throw error;
    } finally {
      pending.lastBroadcastAt = Date.now();
    }
  }

  // ------------------------------------------------------------------ chain state

  private async estimate(request: TxRequest, signal: AbortSignal): Promise<bigint> {
    const estimate = await this.rpc(
      "estimateGas",
      () =>
        estimateGas(this.deps.client, {
          account: this.address,
          to: request.to,
          data: request.data,
          value: request.value,
        }),
      signal,
      request.abi,
      request.label,
    );
    return this.withHeadroom(estimate);
  }

  private withHeadroom(estimate: bigint): bigint {
    return (estimate * BigInt(100 + this.options.gasHeadroomPercent) + 99n) / 100n;
  }

  private async currentFees(signal: AbortSignal, label?: string, capped = true): Promise<TxFees> {
    const fees = await this.rpc("estimateFees", () => this.readFees(), signal, undefined, label);
    return capped ? capFees(fees, this.options.maxFeePerGas) : fees;
  }

  private async readFees(): Promise<TxFees> {
    if (this.feeType !== "legacy") {
      try {
        const fees = await estimateFeesPerGas(this.deps.client, {
          chain: this.deps.client.chain ?? null,
          type: "eip1559",
        });
        this.feeType = "eip1559";
        return {
          type: "eip1559",
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        };
      } catch (error) {
        if (!hasCause(error, Eip1559FeesNotSupportedError) || this.options.feeMode === "eip1559") throw error;
        this.feeType = "legacy";
        this.logger.info("Chain has no base fee; using legacy transactions");
      }
    }
    return { type: "legacy", gasPrice: await getGasPrice(this.deps.client) };
  }

  private async resolveNonce(signal: AbortSignal): Promise<number> {
    if (this.nextNonce === undefined) {
      this.nextNonce = await this.rpc(
        "getTransactionCount",
        () => getTransactionCount(this.deps.client, { address: this.address, blockTag: "pending" }),
        signal,
      );
      this.logger.debug({ nonce: this.nextNonce }, "Nonce synced from chain");
    }
    return this.nextNonce;
  }

  private async resolveChainId(signal: AbortSignal): Promise<number> {
    if (this.chainId !== undefined) return this.chainId;
    const actual = await this.rpc("getChainId", () => getChainId(this.deps.client), signal);
    if (this.options.chainId !== undefined && actual !== this.options.chainId) {
      throw new ChainError("CHAIN_MISMATCH", `The RPC serves chain ${actual}, not ${this.options.chainId}.`, {
        meta: { expected: this.options.chainId, actual },
      });
    }
    this.chainId = actual;
    return actual;
  }

  private rpc<T>(
    operation: string,
    fn: () => Promise<T>,
    signal: AbortSignal,
    abi?: Abi,
    label?: string,
  ): Promise<T> {
    return withRetry(fn, this.options.rpcRetry, {
      abi,
      signal,
      logger: this.logger,
      operation: label ? `${operation}(${label})` : operation,
      onError: (error: ChainError | ChainRetryableError) => {
        if (error.retryable) this.deps.metrics?.onRpcError?.(error.code);
      },
    });
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.options.rpcRetry.backoff);
  }

  /** The sender's own signal, joined with the caller's when one is given. */
  private signal(caller?: AbortSignal): AbortSignal {
    if (!this.controller) throw new ChainError("NOT_STARTED", "The transaction sender is not started.");
    return caller ? AbortSignal.any([this.controller.signal, caller]) : this.controller.signal;
  }

  /** A `STOPPED` from an RPC helper that the caller's abort caused is the caller's `ABORTED`. */
  private asInterrupted<E extends ChainError | ChainRetryableError>(
    error: E,
    caller: AbortSignal | undefined,
  ): E | ChainError {
    if (error.code !== "STOPPED" || !caller?.aborted || this.controller?.signal.aborted !== false)
      return error;
    return this.interrupted(error.meta);
  }

  /**
   * Why a send was interrupted: the sender stopped (`STOPPED`), else its caller gave up (`ABORTED`).
   * `pending`: the broadcast transaction, when there is one (or its log fields).
   */
  private interrupted(pending?: Pending | Record<string, unknown>): ChainError {
    const meta = isPending(pending)
      ? { nonce: pending.nonce, hashes: pending.hashes, label: pending.request.label }
      : pending;
    const broadcast = meta?.["nonce"] !== undefined;
    if (this.controller?.signal.aborted !== false) {
      return new ChainError("STOPPED", "The transaction sender stopped before the transaction was mined.", {
        meta,
      });
    }
    return new ChainError(
      "ABORTED",
      broadcast
        ? "The send was aborted while waiting for its receipt; the transaction may still be mined."
        : "The send was aborted before its transaction was broadcast.",
      { meta },
    );
  }
}

function isPending(p: Pending | Record<string, unknown> | undefined): p is Pending {
  return p !== undefined && "request" in p && "serialized" in p;
}

function hasCause(error: unknown, type: abstract new (...args: never[]) => Error): boolean {
  if (error instanceof BaseError) return error.walk((e) => e instanceof type) !== null;
  let current: unknown = error;
  for (let i = 0; i < 16 && current; i++) {
    if (current instanceof type) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function validateOptions(o: TxSenderOptions): void {
  const problems: string[] = [];
  if (!(o.feeBumpPercent >= 10)) problems.push("feeBumpPercent: ≥ 10 (nodes reject smaller replacements)");
  if (!(o.gasHeadroomPercent >= 0)) problems.push("gasHeadroomPercent: ≥ 0");
  if (!(o.stuckTimeoutMs > 0)) problems.push("stuckTimeoutMs: > 0");
  if (!Number.isInteger(o.maxReplacements) || o.maxReplacements < 0)
    problems.push("maxReplacements: an integer ≥ 0");
  if (!Number.isInteger(o.confirmations) || o.confirmations < 1)
    problems.push("confirmations: an integer ≥ 1");
  if (!(o.receiptPollIntervalMs > 0)) problems.push("receiptPollIntervalMs: > 0");
  if (!(o.receiptTimeoutMs > 0)) problems.push("receiptTimeoutMs: > 0");
  if (!Number.isInteger(o.rpcRetry.attempts) || o.rpcRetry.attempts < 1)
    problems.push("rpcRetry.attempts: an integer ≥ 1");
  if (o.maxFeePerGas !== undefined && o.maxFeePerGas <= 0n) problems.push("maxFeePerGas: > 0");
  if (problems.length > 0) {
    throw new ChainError("INVALID_OPTIONS", "Invalid transaction sender options.", {
      details: problems.join("; "),
    });
  }
}
