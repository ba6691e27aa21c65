import { type Logger, noopLogger } from "@opg/protocol";
import {
  type Abi,
  type Address,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  encodeFunctionData,
  getAddress,
  type Hex,
} from "viem";
import { estimateContractGas, estimateGas } from "viem/actions";
import { ChainError, type ChainRetryableError } from "../errors/ChainError.js";
import { classifyError } from "../errors/classifyError.js";
import { broadcast, signTransaction } from "./broadcast.js";
import { ChainState } from "./ChainState.js";
import { Mutex } from "./Mutex.js";
import { TxContext } from "./TxContext.js";
import { defaultTxSenderOptions, type TxSenderOptions, validateOptions } from "./TxSenderOptions.js";
import type {
  Pending,
  TxRequest,
  TxResult,
  TxSenderDeps,
  WriteContractRequest,
  WriteMutability,
} from "./txTypes.js";
import { waitMined } from "./waitMined.js";

export type { TxSenderOptions } from "./TxSenderOptions.js";
export { defaultTxSenderOptions } from "./TxSenderOptions.js";
export type { TxRequest, TxResult, TxSenderDeps, TxSenderMetrics, WriteContractRequest } from "./txTypes.js";

/**
 * Sends transactions from one local account: local nonce tracking (resynced from the chain on
 * nonce errors), gas estimation with headroom, fee bumping of stuck transactions (same nonce,
 * higher fees), receipts with confirmations, and retries of transient RPC failures. An RPC
 * outage delays a send (bounded by `receiptTimeoutMs` and `rpcRetry`) but never breaks the sender.
 *
 * The parts live beside it, one job each: `ChainState` (nonce, chain id, fees), `broadcast` (sign
 * and send raw), `waitMined` (receipts, confirmations, drops), `replaceStuck` (fee bumping) and
 * `explainRevert` (the reason of a mined revert).
 *
 * Sends may run concurrently: nonces are assigned and broadcast one at a time, in call order;
 * receipts are awaited in parallel.
 */
export class TxSender {
  readonly name = "chain-sender";
  readonly options: TxSenderOptions;
  private readonly deps: TxSenderDeps;
  private readonly logger: Logger;
  private readonly ctx: TxContext;
  private readonly state: ChainState;
  private readonly lock = new Mutex();
  private controller: AbortController | undefined;
  private inFlight = 0;

  constructor(options: Partial<TxSenderOptions>, deps: TxSenderDeps) {
    this.options = { ...defaultTxSenderOptions, ...options };
    validateOptions(this.options);
    this.deps = deps;
    this.logger = (deps.logger ?? noopLogger).child({ module: this.name, account: deps.account.address });
    this.ctx = new TxContext(
      this.options,
      deps,
      this.logger,
      () => this.controller?.signal.aborted !== false,
    );
    this.state = new ChainState(this.ctx);
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
    this.state.resync();
  }

  ready(): boolean {
    return this.controller !== undefined;
  }

  health(): Record<string, unknown> {
    return { nextNonce: this.state.nextNonce, inFlight: this.inFlight };
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
        estimate = await this.ctx.rpc(
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
      return await waitMined(this.ctx, this.state, pending, signal);
    } catch (raw) {
      const error = this.asInterrupted(classifyError(raw, { abi: request.abi }), request.signal);
      this.deps.metrics?.onFailed?.({ label: request.label, code: error.code });
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /** Assigns the next nonce, signs and broadcasts; resyncs the nonce from the chain on nonce errors. */
  private async broadcastNew(request: TxRequest & { gas: bigint }, signal: AbortSignal): Promise<Pending> {
    const chainId = await this.state.resolveChainId(signal);
    const fees = await this.state.currentFees(signal, request.label);
    for (let attempt = 1; ; attempt++) {
      const nonce = await this.state.resolveNonce(signal);
      const { serialized, hash } = await signTransaction(this.deps.account, request, nonce, fees, chainId);
      try {
        await broadcast(this.ctx, serialized, hash, request, signal);
      } catch (raw) {
        const error = classifyError(raw, { abi: request.abi });
        // The chain moved (another process, a lost state): resync and try the next nonce.
        this.state.resync();
        if ((error.code === "NONCE_TOO_LOW" || error.code === "NONCE_TOO_HIGH") && attempt < 3) {
          this.logger.warn(
            { nonce, code: error.code, label: request.label },
            "Nonce rejected; resyncing from chain",
          );
          continue;
        }
        throw error;
      }
      this.state.nextNonce = nonce + 1;
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

  private async estimate(request: TxRequest, signal: AbortSignal): Promise<bigint> {
    const estimate = await this.ctx.rpc(
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
    return this.ctx.interrupted(error.meta);
  }
}
