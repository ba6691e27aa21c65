import type { InferenceRequestedEvent, RequestStatusName } from "@opg/chain";
import type { OpgDomain } from "@opg/protocol";
import type { Address, Hex, LocalAccount, PublicClient } from "viem";
import { deliver } from "../actions/deliver.js";
import { findRequest } from "../actions/findRequest.js";
import { getResult } from "../actions/getResult.js";
import { requestDirect } from "../actions/requestDirect.js";
import { requestOnChain } from "../actions/requestOnChain.js";
import { requestStatus } from "../actions/requestStatus.js";
import { settleWithProof } from "../actions/settleWithProof.js";
import { verifyResult } from "../actions/verifyResult.js";
import { waitForResult, waitForSettlement } from "../actions/waitForResult.js";
import { ClientContext } from "./ClientContext.js";
import type {
  DeliverOptions,
  Delivery,
  DirectRequestParams,
  DirectResult,
  OnChainRequest,
  OnChainRequestParams,
  OpgClientOptions,
  ResultLookup,
  ResultVerification,
  SettledResult,
  SettleWithProofOptions,
  VerifierResult,
  VerifyOptions,
  WaitOptions,
} from "./types.js";

/**
 * The opg client for dApp and app developers: request inference on chain or directly from an executor,
 * wait for verification and settlement, verify results against the chain, deliver settled results.
 * Create it with {@link createOpgClient}. Every failure is an `OpgSdkError` with a bounded `code`.
 * Each method is an action of `../actions/` (one per file, as in viem) on the client's shared context.
 */
export class OpgClient {
  readonly hub: Address;
  /** The signing account (absent: read-only client). */
  readonly account: LocalAccount | undefined;
  /** The viem public client used for every read. */
  readonly publicClient: PublicClient;
  private readonly ctx: ClientContext;

  constructor(options: OpgClientOptions) {
    this.ctx = new ClientContext(options);
    this.hub = this.ctx.hub;
    this.account = this.ctx.account;
    this.publicClient = this.ctx.publicClient;
  }

  /** The chain id (read once from the RPC; must equal the `chainId` option when given). */
  chainId(): Promise<number> {
    return this.ctx.chainId();
  }

  /** The EIP-712 domain of this hub: `{chainId, verifyingContract: hub}`. */
  domain(): Promise<OpgDomain> {
    return this.ctx.domain();
  }

  /** The hub's status of an on-chain request: none, pending, delivered or refunded. */
  requestStatus(requestId: Hex): Promise<RequestStatusName> {
    return requestStatus(this.ctx, requestId);
  }

  /** The `InferenceRequested` event of an on-chain request (the record `deliver` and `refund` need). */
  findRequest(
    requestId: Hex,
    options: Pick<DeliverOptions, "fromBlock"> = {},
  ): Promise<InferenceRequestedEvent> {
    return findRequest(this.ctx, requestId, options);
  }

  /**
   * Requests inference through the hub (`requestInference` with the inputs inline in canonical encoding,
   * or `requestInferenceByRef` when `inputURI` is given), paying `fee` (default: the model's price).
   */
  requestOnChain(params: OnChainRequestParams): Promise<OnChainRequest> {
    return requestOnChain(this.ctx, params);
  }

  /**
   * Sends a signed direct request to the executor (`POST /v1/infer`) and returns its answer, checked: the
   * requestId is recomputed here, the outputs must hash to the signed outputHash, the `ExecutionResult`
   * signature must recover to the executor it names, and (by default) that key must be an active
   * executor on chain.
   */
  requestDirect(params: DirectRequestParams): Promise<DirectResult> {
    return requestDirect(this.ctx, params);
  }

  /**
   * Asks the verifiers once about a request (in order, until one answers) and checks what it says:
   * pending, rejected, or a result whose outputs hash to its outputHash. Not a proof: see `verifyResult`.
   */
  getResult(requestId: Hex, options: { signal?: AbortSignal | undefined } = {}): Promise<ResultLookup> {
    return getResult(this.ctx, requestId, options);
  }

  /**
   * Polls the verifiers until the result is verified or settled. A rejection is not final (another
   * result may still be verified): polling goes on, and only when time runs out with a rejection as
   * the latest answer does it fail with `REJECTED` (`meta.reason`); otherwise running out of time
   * fails with `TIMEOUT` (or `VERIFIER_UNREACHABLE` when none answered).
   */
  waitForResult(requestId: Hex, options: WaitOptions = {}): Promise<VerifierResult> {
    return waitForResult(this.ctx, requestId, options);
  }

  /** Polls the verifiers until the result is in a settled batch; returns the batch, root, proof and transaction. */
  waitForSettlement(requestId: Hex, options: WaitOptions = {}): Promise<SettledResult> {
    return waitForSettlement(this.ctx, requestId, options);
  }

  /**
   * Verifies a settled result independently of the verifiers' word: the leaf is recomputed here from the
   * received outputs (their hash, not the claimed one), the Merkle proof is checked against the root read
   * from the hub (`batchRoot`), and the hub's `verifyResult` view must agree. A verifier that lies about
   * the root, the outputs or the fields yields `verified: false` with a `failure`; with several verifiers
   * the next one is tried, so one honest verifier suffices. Throws `NOT_SETTLED` when no verifier reports
   * a settled batch yet, `REJECTED`, `VERIFIER_UNREACHABLE` or `CHAIN_ERROR`.
   */
  verifyResult(requestId: Hex, options: VerifyOptions = {}): Promise<ResultVerification> {
    return verifyResult(this.ctx, requestId, options);
  }

  /**
   * Delivers a settled on-chain request (`hub.deliver`): takes the outputs, executor, batch and proof from
   * the verifiers, checks them against the chain first (`verifyResult`; `PROOF_INVALID` otherwise), and
   * sends the transaction with the request record (remembered, given, or read from `InferenceRequested`).
   * The hub pays the executor and calls the request's callback.
   */
  deliver(requestId: Hex, options: DeliverOptions = {}): Promise<Delivery> {
    return deliver(this.ctx, requestId, options);
  }

  /**
   * Settles an on-chain ZK request by its proof alone (`hub.settleWithProof`), without the verifiers'
   * quorum: reads the executor's result (`GET /v1/results/:requestId`: signed fields, outputs, and the proof
   * with its input in the model's on-chain format), checks it like a direct answer (hashes, signature,
   * same request) plus the input against the request's inputHash, then sends the transaction. The model's
   * ZK adapter verifies the Groth16 proof on chain; the hub pays the executor and calls the callback.
   */
  settleWithProof(requestId: Hex, options: SettleWithProofOptions = {}): Promise<Delivery> {
    return settleWithProof(this.ctx, requestId, options);
  }

  /** Stops the transaction sender (pending sends fail with ABORTED). The client may not send afterwards. */
  close(): void {
    this.ctx.close();
  }
}
