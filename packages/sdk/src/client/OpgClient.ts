import {
  InferenceHubActions,
  type InferenceRequestedEvent,
  type InferenceRequestRecord,
  inferenceHubAbi,
  ModelRegistryActions,
  OperatorRegistryActions,
  opgChain,
  type RequestStatusName,
  sleep,
  type TxResult,
  TxSender,
  toInferenceRequestedEvent,
} from "@opg/chain";
import {
  type InferenceRequest,
  isProofMode,
  type OpgDomain,
  ProofMode,
  parseProofMode,
  type TensorMap,
  tensorsToJson,
} from "@opg/protocol";
import {
  type Address,
  type Chain,
  createPublicClient,
  getAddress,
  type Hex,
  http,
  isAddress,
  isHex,
  keccak256,
  type LocalAccount,
  type PublicClient,
  parseEventLogs,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBlock, getChainId, getContractEvents, getGasPrice, readContract } from "viem/actions";
import { onChain } from "../errors/fromChainError.js";
import { OpgSdkError } from "../errors/OpgSdkError.js";
import { fetchJson, remoteError } from "../http/fetchJson.js";
import { encodeTensorInput } from "../tensors/tensorInput.js";
import {
  checkExecutorAnswer,
  checkVerifierAnswer,
  type ExpectedRequest,
  parseVerifierAnswer,
  type RawVerifierAnswer,
} from "./answers.js";
import { signDirectRequest } from "./signDirectRequest.js";
import type {
  DeliverOptions,
  Delivery,
  DirectRequestParams,
  DirectResult,
  ModeInput,
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
import { assessInclusion, type SettledAnswer } from "./verification.js";

/** Largest inline input the hub accepts (`MAX_INLINE_INPUT_BYTES`). */
export const MAX_INLINE_INPUT_BYTES = 8192;
const DEFAULT_CALLBACK_GAS_LIMIT = 200_000;
const DEFAULT_TTL_SECONDS = 3_600;
const DEFAULT_WAIT_MS = 120_000;
const REMEMBERED_REQUESTS = 1_024;

type Resolved = {
  rpcUrl: string;
  hub: Address;
  publisher: Address | undefined;
  execUrl: string | undefined;
  verifyUrls: readonly string[];
  chainId: number | undefined;
  executorTimeoutMs: number;
  verifierTimeoutMs: number;
  rpcTimeoutMs: number;
  pollIntervalMs: number;
  fetch: typeof globalThis.fetch;
};

/** What this client remembers of the requests it made (to check answers against them). */
type Known = { modelId: Hex; inputHash: Hex; record?: InferenceRequestRecord | undefined };

/**
 * The opg client for dApp and app developers: request inference on chain or directly from an executor,
 * wait for verification and settlement, verify results against the chain, deliver settled results.
 * Create it with {@link createOpgClient}. Every failure is an `OpgSdkError` with a bounded `code`.
 */
export class OpgClient {
  readonly hub: Address;
  /** The signing account (absent: read-only client). */
  readonly account: LocalAccount | undefined;
  /** The viem public client used for every read. */
  readonly publicClient: PublicClient;
  private readonly o: Resolved;
  private readonly reader: InferenceHubActions;
  private writer: InferenceHubActions | undefined;
  private sender: TxSender | undefined;
  private readonly txOptions: OpgClientOptions["tx"];
  private chainIdPromise: Promise<number> | undefined;
  private modelsPromise: Promise<ModelRegistryActions> | undefined;
  private registryPromise: Promise<OperatorRegistryActions> | undefined;
  private readonly known = new Map<string, Known>();

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

  // ------------------------------------------------------------------ chain basics

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

  /** The hub's status of an on-chain request: none, pending, delivered or refunded. */
  requestStatus(requestId: Hex): Promise<RequestStatusName> {
    return onChain("Reading the request status", () =>
      this.reader.requestStatus(checkHex32(requestId, "requestId")),
    );
  }

  /** The `InferenceRequested` event of an on-chain request (the record `deliver` and `refund` need). */
  async findRequest(
    requestId: Hex,
    options: Pick<DeliverOptions, "fromBlock"> = {},
  ): Promise<InferenceRequestedEvent> {
    const id = checkHex32(requestId, "requestId");
    const logs = await onChain("Searching for the request", () =>
      getContractEvents(this.publicClient, {
        address: this.hub,
        abi: inferenceHubAbi,
        eventName: "InferenceRequested",
        args: { requestId: id },
        fromBlock: options.fromBlock ?? 0n,
        toBlock: "latest",
        strict: true,
      }),
    );
    const log = logs.find((l) => l.args.requestId.toLowerCase() === id);
    if (!log) {
      throw new OpgSdkError("NOT_FOUND", `No InferenceRequested event for ${id} on this hub.`, {
        details: "Is it a direct request (no event), or does `fromBlock` start after it?",
        meta: { requestId: id },
      });
    }
    return toInferenceRequestedEvent(log);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Requests inference through the hub (`requestInference` with the inputs inline in canonical encoding,
   * or `requestInferenceByRef` when `inputURI` is given), paying `fee` (default: the model's price).
   */
  async requestOnChain(params: OnChainRequestParams): Promise<OnChainRequest> {
    const mode = toMode(params.mode);
    const encoded = encodeTensorInput(params.inputs);
    if (mode === ProofMode.ZK) refuseFloat64ForZk(encoded.tensors);
    const listingId = await this.resolveListing(params);
    const terms = await onChain("Reading the listing", async () =>
      (await this.models()).requestTerms(listingId),
    );
    if (terms.modes === 0) {
      throw new OpgSdkError("INVALID_ARGUMENT", `Listing ${listingId} is unknown or disabled.`);
    }
    const modelId = terms.modelId;
    if (params.modelId !== undefined && checkHex32(params.modelId, "modelId") !== modelId.toLowerCase()) {
      throw new OpgSdkError(
        "INVALID_ARGUMENT",
        `Listing ${listingId} lists model ${modelId}, not ${params.modelId}.`,
      );
    }
    if (params.inputURI === undefined && encoded.bytes.length > MAX_INLINE_INPUT_BYTES) {
      throw new OpgSdkError(
        "INVALID_ARGUMENT",
        `The encoded inputs are ${encoded.bytes.length} bytes; the hub takes at most ${MAX_INLINE_INPUT_BYTES} inline.`,
        { details: "Host the encoded inputs and pass `inputURI` (requestInferenceByRef)." },
      );
    }
    if (params.callback !== undefined && !isAddress(params.callback, { strict: false })) {
      throw new OpgSdkError("INVALID_ARGUMENT", "callback must be an address.");
    }
    const callback = params.callback ?? zeroAddress;
    const callbackGasLimit =
      params.callbackGasLimit ?? (callback === zeroAddress ? 0 : DEFAULT_CALLBACK_GAS_LIMIT);
    // The callback's gas is escrowed at a price bound: by default twice the chain's current gas price,
    // so a deliverer is made whole through a doubling of fees; what the callback does not use comes back.
    const callbackGasPrice =
      params.callbackGasPrice ??
      (callbackGasLimit === 0
        ? 0n
        : 2n * (await onChain("Reading the gas price", () => getGasPrice(this.publicClient))));
    const hub = await this.hubWriter();
    const deadline =
      params.deadline !== undefined
        ? BigInt(params.deadline)
        : (await this.latestTimestamp()) + BigInt(params.ttlSeconds ?? DEFAULT_TTL_SECONDS);
    const fee = params.fee ?? terms.price;
    const base = { listingId, mode, deadline, fee, callback, callbackGasLimit, callbackGasPrice };
    const result = await onChain("requestInference", () =>
      hub.requestInference(
        params.inputURI === undefined
          ? { ...base, input: encoded.hex }
          : { ...base, inputHash: encoded.hash, inputURI: params.inputURI },
      ),
    );
    this.remember(result.requestId, { modelId, inputHash: encoded.hash, record: result.request });
    return {
      requestId: result.requestId,
      request: result.request,
      txHash: result.tx.hash,
      blockNumber: result.event.blockNumber,
      inputHash: encoded.hash,
      input: encoded.hex,
    };
  }

  /**
   * Sends a signed direct request to the executor (`POST /v1/infer`) and returns its answer, checked: the
   * requestId is recomputed here, the outputs must hash to the signed outputHash, the `ExecutionResult`
   * signature must recover to the executor it names, and (by default) that key must be an active
   * executor on chain.
   */
  async requestDirect(params: DirectRequestParams): Promise<DirectResult> {
    const execUrl = this.o.execUrl;
    if (execUrl === undefined) throw missing("execUrl", "requestDirect");
    const account = this.requireAccount("requestDirect");
    const modelId = checkHex32(params.modelId, "modelId");
    const mode = toMode(params.mode);
    const encoded = encodeTensorInput(params.inputs);
    if (mode === ProofMode.ZK) refuseFloat64ForZk(encoded.tensors);
    const request: InferenceRequest = {
      requester: account.address,
      modelId,
      inputHash: encoded.hash,
      mode,
      nonce: params.nonce ?? randomNonce(),
      deadline:
        params.deadline !== undefined
          ? BigInt(params.deadline)
          : BigInt(Math.floor(Date.now() / 1000) + (params.ttlSeconds ?? DEFAULT_TTL_SECONDS)),
    };
    if (request.nonce < 0n || request.nonce >= 2n ** 256n) {
      throw new OpgSdkError("INVALID_ARGUMENT", "nonce must be a uint256.");
    }
    const domain = await this.domain();
    const { requestId, signature } = await signDirectRequest(account, domain, request);
    const url = endpoint(execUrl, "v1/infer?encoding=base64");
    const answer = await fetchJson(
      "executor",
      url,
      {
        method: "POST",
        body: {
          request: { ...request, nonce: request.nonce.toString(), deadline: request.deadline.toString() },
          signature,
          inputs: tensorsToJson(encoded.tensors, "base64"),
        },
      },
      { fetch: this.o.fetch, timeoutMs: this.o.executorTimeoutMs, signal: params.signal },
    );
    if (answer.status !== 200) throw remoteError("executor", answer, "The direct request failed");
    const checked = checkExecutorAnswer(
      domain,
      { requestId, modelId, inputHash: encoded.hash, mode },
      answer.body,
      answer.url,
    );
    if (params.checkExecutor ?? true) await this.assertActiveExecutor(checked.executor);
    this.remember(requestId, { modelId, inputHash: encoded.hash });
    return { ...checked, request, requestSignature: signature };
  }

  // ------------------------------------------------------------------ verifiers

  /**
   * Asks the verifiers once about a request (in order, until one answers) and checks what it says:
   * pending, rejected, or a result whose outputs hash to its outputHash. Not a proof: see `verifyResult`.
   */
  async getResult(requestId: Hex, options: { signal?: AbortSignal | undefined } = {}): Promise<ResultLookup> {
    const id = checkHex32(requestId, "requestId");
    const raw = await this.askVerifiers(id, () => true, options.signal);
    return checkVerifierAnswer(raw, this.expected(id));
  }

  /**
   * Polls the verifiers until the result is verified or settled. A rejection is not final (another
   * result may still be verified): polling goes on, and only when time runs out with a rejection as
   * the latest answer does it fail with `REJECTED` (`meta.reason`); otherwise running out of time
   * fails with `TIMEOUT` (or `VERIFIER_UNREACHABLE` when none answered).
   */
  async waitForResult(requestId: Hex, options: WaitOptions = {}): Promise<VerifierResult> {
    const id = checkHex32(requestId, "requestId");
    const raw = await this.poll(id, (a) => a.status === "verified" || a.status === "settled", options);
    return checkVerifierAnswer(raw, this.expected(id)) as VerifierResult;
  }

  /** Polls the verifiers until the result is in a settled batch; returns the batch, root, proof and transaction. */
  async waitForSettlement(requestId: Hex, options: WaitOptions = {}): Promise<SettledResult> {
    const id = checkHex32(requestId, "requestId");
    const raw = await this.poll(id, (a) => a.status === "settled" && a.batch !== undefined, options);
    return checkVerifierAnswer(raw, this.expected(id)) as SettledResult;
  }

  /**
   * Verifies a settled result independently of the verifiers' word: the leaf is recomputed here from the
   * received outputs (their hash, not the claimed one), the Merkle proof is checked against the root read
   * from the hub (`batchRoot`), and the hub's `verifyResult` view must agree. A verifier that lies about
   * the root, the outputs or the fields yields `verified: false` with a `failure`; with several verifiers
   * the next one is tried, so one honest verifier suffices. Throws `NOT_SETTLED` when no verifier reports
   * a settled batch yet, `REJECTED`, `VERIFIER_UNREACHABLE` or `CHAIN_ERROR`.
   */
  async verifyResult(requestId: Hex, options: VerifyOptions = {}): Promise<ResultVerification> {
    const id = checkHex32(requestId, "requestId");
    if (this.o.verifyUrls.length === 0) throw missing("verifyUrl", "verifyResult");
    const expected = { ...this.expected(id), ...options.expected };
    let failed: ResultVerification | undefined;
    let rejection: Extract<RawVerifierAnswer, { status: "rejected" }> | undefined;
    let lastStatus: string | undefined;
    let lastError: OpgSdkError | undefined;
    for (const base of this.o.verifyUrls) {
      let raw: RawVerifierAnswer;
      try {
        raw = await this.askVerifier(base, id, options.signal);
      } catch (error) {
        if (!(error instanceof OpgSdkError) || error.code === "ABORTED") throw error;
        lastError = error;
        continue;
      }
      if (raw.status === "rejected") rejection ??= raw;
      if (raw.status === "pending" || raw.status === "rejected" || raw.batch === undefined) {
        lastStatus = raw.status;
        continue;
      }
      const verification = await this.checkOnChain(raw as SettledAnswer, expected);
      if (verification.verified) return verification;
      failed ??= verification;
    }
    if (failed) return failed;
    if (rejection) throw rejected(rejection);
    if (lastStatus !== undefined) {
      throw new OpgSdkError("NOT_SETTLED", `No verifier reports ${id} in a settled batch yet.`, {
        meta: { requestId: id, status: lastStatus },
      });
    }
    throw lastError ?? new OpgSdkError("VERIFIER_UNREACHABLE", "No verifier answered.");
  }

  /** The on-chain half of `verifyResult` for one verifier's answer. */
  private async checkOnChain(answer: SettledAnswer, expected: ExpectedRequest): Promise<ResultVerification> {
    const root = await onChain("Reading the batch root", () => this.reader.batchRoot(answer.batch.batchId));
    const local = assessInclusion(answer, root, expected);
    const hubSaysIncluded = local.onChain
      ? await onChain("Calling the hub's verifyResult", () =>
          this.reader.verifyResult({ ...local.fields, batchId: local.batchId, proof: local.proof }),
        )
      : false;
    return local.build(hubSaysIncluded);
  }

  // ------------------------------------------------------------------ delivery

  /**
   * Delivers a settled on-chain request (`hub.deliver`): takes the outputs, executor, batch and proof from
   * the verifiers, checks them against the chain first (`verifyResult`; `PROOF_INVALID` otherwise), and
   * sends the transaction with the request record (remembered, given, or read from `InferenceRequested`).
   * The hub pays the executor and calls the request's callback.
   */
  async deliver(requestId: Hex, options: DeliverOptions = {}): Promise<Delivery> {
    const id = checkHex32(requestId, "requestId");
    const hub = await this.hubWriter();
    const record =
      options.request ?? this.known.get(id)?.record ?? (await this.findRequest(id, options)).request;
    const verification = await this.verifyResult(id, {
      expected: { modelId: record.modelId, inputHash: record.inputHash },
      signal: options.signal,
    });
    if (!verification.verified) {
      throw new OpgSdkError("PROOF_INVALID", `Not delivering ${id}: ${verification.failure.message}`, {
        meta: { failure: verification.failure.code, verifier: verification.verifier },
      });
    }
    const tx = await onChain("deliver", () =>
      hub.deliver({
        requestId: id,
        request: record,
        output: verification.outputBytes,
        executor: verification.executor,
        batchId: verification.batchId,
        proof: verification.proof,
      }),
    );
    return delivery(id, tx, verification);
  }

  /**
   * Settles an on-chain ZK request by its proof alone (`hub.settleWithProof`), without the verifiers'
   * quorum: reads the executor's result (`GET /v1/results/:requestId`: signed fields, outputs, and the proof
   * with its input in the model's on-chain format), checks it like a direct answer (hashes, signature,
   * same request) plus the input against the request's inputHash, then sends the transaction. The model's
   * ZK adapter verifies the Groth16 proof on chain; the hub pays the executor and calls the callback.
   */
  async settleWithProof(requestId: Hex, options: SettleWithProofOptions = {}): Promise<Delivery> {
    const id = checkHex32(requestId, "requestId");
    const execUrl = options.execUrl ?? this.o.execUrl;
    if (execUrl === undefined) throw missing("execUrl", "settleWithProof");
    const hub = await this.hubWriter();
    const record =
      options.request ?? this.known.get(id)?.record ?? (await this.findRequest(id, options)).request;
    if (record.mode !== ProofMode.ZK) {
      throw new OpgSdkError("INVALID_ARGUMENT", `Request ${id} is not a ZK-mode request.`);
    }
    const res = await fetchJson(
      "executor",
      endpoint(execUrl, `v1/results/${id}?encoding=base64`),
      { method: "GET" },
      { fetch: this.o.fetch, timeoutMs: this.o.executorTimeoutMs, signal: options.signal },
    );
    if (res.status !== 200) throw remoteError("executor", res, "Reading the result");
    const answer = checkExecutorAnswer(
      await this.domain(),
      { requestId: id, modelId: record.modelId, inputHash: record.inputHash, mode: ProofMode.ZK },
      res.body,
      res.url,
    );
    const settlement = answer.proof.settlement;
    if (settlement === undefined) {
      throw new OpgSdkError("BAD_RESPONSE", "The executor's answer carries no ZK proof to settle with.", {
        meta: { url: res.url },
      });
    }
    if (keccak256(settlement.input) !== record.inputHash.toLowerCase()) {
      throw new OpgSdkError("HASH_MISMATCH", "The proof's input is not the request's input.");
    }
    if (keccak256(settlement.output) !== answer.outputHash) {
      throw new OpgSdkError("HASH_MISMATCH", "The settlement output is not the signed output.");
    }
    const tx = await onChain("settleWithProof", () =>
      hub.settleWithProof({
        requestId: id,
        request: record,
        input: settlement.input,
        output: settlement.output,
        executor: answer.executor,
        zkProof: settlement.zkProof,
      }),
    );
    return delivery(id, tx, { ...answer, batchId: 0n });
  }

  /** Stops the transaction sender (pending sends fail with ABORTED). The client may not send afterwards. */
  close(): void {
    this.sender?.stop();
  }

  // ------------------------------------------------------------------ internals

  private requireAccount(what: string): LocalAccount {
    if (!this.account) throw missing("account", what);
    return this.account;
  }

  private async hubWriter(): Promise<InferenceHubActions> {
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

  /** The listing a request names, or the pinned publisher's latest listing of its model. */
  private async resolveListing(params: OnChainRequestParams): Promise<Hex> {
    if (params.listingId !== undefined) return checkHex32(params.listingId, "listingId");
    if (params.modelId === undefined) {
      throw new OpgSdkError("INVALID_ARGUMENT", "Name the listing (`listingId`) or the model (`modelId`).");
    }
    const modelId = checkHex32(params.modelId, "modelId");
    const publisher = params.publisher ?? this.o.publisher;
    if (publisher === undefined || !isAddress(publisher, { strict: false })) {
      throw new OpgSdkError(
        "INVALID_ARGUMENT",
        "A request by modelId needs the publisher whose listing it trusts (`publisher`), or a `listingId`.",
        {
          details:
            "Anyone can list a model file; the publisher you pin decides which verifier and price apply.",
        },
      );
    }
    const listingId = await onChain("Resolving the publisher's listing", async () =>
      (await this.models()).latestListing(modelId, publisher),
    );
    if (listingId === undefined) {
      throw new OpgSdkError("INVALID_ARGUMENT", `Publisher ${publisher} has no listing of model ${modelId}.`);
    }
    return listingId;
  }

  private models(): Promise<ModelRegistryActions> {
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

  private registry(): Promise<OperatorRegistryActions> {
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

  private async assertActiveExecutor(executor: Address): Promise<void> {
    const active = await onChain("Checking the executor", async () =>
      (await this.registry()).isActiveExecutor(executor),
    );
    if (!active) {
      throw new OpgSdkError("UNKNOWN_EXECUTOR", `${executor} is not an active registered executor.`, {
        meta: { executor },
      });
    }
  }

  private async latestTimestamp(): Promise<bigint> {
    const block = await onChain("Reading the latest block", () =>
      getBlock(this.publicClient, { blockTag: "latest" }),
    );
    return block.timestamp;
  }

  private remember(requestId: Hex, known: Known): void {
    this.known.set(requestId.toLowerCase(), known);
    if (this.known.size > REMEMBERED_REQUESTS) this.known.delete(this.known.keys().next().value as string);
  }

  private expected(requestId: Hex): ExpectedRequest {
    const known = this.known.get(requestId);
    return { requestId, modelId: known?.modelId, inputHash: known?.inputHash };
  }

  /**
   * Asks each verifier in order; returns the first answer that satisfies `accept`, else the most advanced
   * one (settled > verified > rejected > pending). VERIFIER_UNREACHABLE when none answered.
   */
  private async askVerifiers(
    requestId: Hex,
    accept: (a: RawVerifierAnswer) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<RawVerifierAnswer> {
    if (this.o.verifyUrls.length === 0) throw missing("verifyUrl", "reading results");
    let best: RawVerifierAnswer | undefined;
    let lastError: OpgSdkError | undefined;
    for (const base of this.o.verifyUrls) {
      let answer: RawVerifierAnswer;
      try {
        answer = await this.askVerifier(base, requestId, signal);
      } catch (error) {
        if (!(error instanceof OpgSdkError) || error.code === "ABORTED") throw error;
        // One verifier down or misbehaving: try the next; remember why.
        lastError = error;
        continue;
      }
      if (accept(answer)) return answer;
      if (best === undefined || rank(answer) > rank(best)) best = answer;
    }
    if (best !== undefined) return best;
    throw lastError ?? new OpgSdkError("VERIFIER_UNREACHABLE", "No verifier answered.");
  }

  /** One verifier's `GET /v1/results/:requestId`, parsed (pending answers come with HTTP 404). */
  private async askVerifier(
    base: string,
    requestId: Hex,
    signal: AbortSignal | undefined,
  ): Promise<RawVerifierAnswer> {
    const res = await fetchJson(
      "verifier",
      endpoint(base, `v1/results/${requestId}`),
      { method: "GET" },
      { fetch: this.o.fetch, timeoutMs: this.o.verifierTimeoutMs, signal },
    );
    const pending = res.status === 404 && (res.body as { status?: unknown } | null)?.status === "pending";
    if (res.status !== 200 && !pending) throw remoteError("verifier", res, "Reading the result");
    return parseVerifierAnswer(res.status, res.body, requestId, res.url);
  }

  private async poll(
    requestId: Hex,
    done: (a: RawVerifierAnswer) => boolean,
    options: WaitOptions,
  ): Promise<RawVerifierAnswer> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const interval = options.pollIntervalMs ?? this.o.pollIntervalMs;
    const deadline = Date.now() + timeoutMs;
    let last: RawVerifierAnswer | undefined;
    let lastError: OpgSdkError | undefined;
    for (;;) {
      try {
        last = await this.askVerifiers(requestId, done, options.signal);
        lastError = undefined;
        if (done(last)) return last;
        // A rejection is not final while waiting: it refuses one executor's result (another
        // executor's, or a republished one, may still be verified), and it is one verifier's word.
        // It is reported only if nothing better came by the deadline.
      } catch (error) {
        if (!(error instanceof OpgSdkError) || !error.retryable) throw error;
        lastError = error;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (lastError && last === undefined) throw lastError;
        if (last?.status === "rejected") throw rejected(last);
        throw new OpgSdkError("TIMEOUT", `Gave up waiting for ${requestId} after ${timeoutMs} ms.`, {
          meta: { requestId, lastStatus: last?.status, lastError: lastError?.code },
        });
      }
      await sleep(Math.min(interval, left), options.signal);
      if (options.signal?.aborted) {
        throw new OpgSdkError("ABORTED", `Stopped waiting for ${requestId}.`, {
          cause: options.signal.reason,
        });
      }
    }
  }
}

// ------------------------------------------------------------------ helpers

function resolveOptions(options: OpgClientOptions): Resolved {
  const problems: string[] = [];
  if (typeof options.rpcUrl !== "string" || !/^https?:\/\//.test(options.rpcUrl)) {
    problems.push("rpcUrl: an http:// or https:// URL");
  }
  if (typeof options.hub !== "string" || !isAddress(options.hub, { strict: false })) {
    problems.push("hub: the InferenceHub address");
  }
  const verifyUrls =
    options.verifyUrl === undefined
      ? []
      : typeof options.verifyUrl === "string"
        ? [options.verifyUrl]
        : [...options.verifyUrl];
  for (const [key, url] of [
    ["execUrl", options.execUrl],
    ...verifyUrls.map((u) => ["verifyUrl", u] as const),
  ] as const) {
    if (url !== undefined && !/^https?:\/\//.test(url)) problems.push(`${key}: an http:// or https:// URL`);
  }
  if (options.publisher !== undefined && !isAddress(options.publisher, { strict: false })) {
    problems.push("publisher: the address of the model publisher whose listings you trust");
  }
  if (options.chainId !== undefined && (!Number.isSafeInteger(options.chainId) || options.chainId <= 0)) {
    problems.push("chainId: a positive integer");
  }
  for (const key of ["executorTimeoutMs", "verifierTimeoutMs", "rpcTimeoutMs", "pollIntervalMs"] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) problems.push(`${key}: a positive number of ms`);
  }
  if (problems.length > 0) {
    throw new OpgSdkError("INVALID_ARGUMENT", "Invalid opg client options.", {
      details: problems.join("; "),
    });
  }
  return {
    rpcUrl: options.rpcUrl,
    hub: getAddress(options.hub),
    publisher: options.publisher === undefined ? undefined : getAddress(options.publisher),
    execUrl: options.execUrl,
    verifyUrls,
    chainId: options.chainId,
    executorTimeoutMs: options.executorTimeoutMs ?? 300_000,
    verifierTimeoutMs: options.verifierTimeoutMs ?? 10_000,
    rpcTimeoutMs: options.rpcTimeoutMs ?? 10_000,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    // Called as `fetch(…)`, never as a method of the options: browsers refuse a fetch invoked on another object.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

function privateKeyFrom(key: Hex): LocalAccount {
  if (!isHex(key, { strict: true }) || key.length !== 66) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      "account: a LocalAccount or a 32-byte 0x-prefixed private key.",
    );
  }
  return privateKeyToAccount(key);
}

/** A proof mode from a code or name; INVALID_ARGUMENT otherwise. Default NONE. */
export function toMode(mode: ModeInput | undefined): ProofMode {
  if (mode === undefined) return 0;
  const m = typeof mode === "string" ? parseProofMode(mode) : mode;
  if (m === undefined || !isProofMode(m)) {
    throw new OpgSdkError(
      "INVALID_ARGUMENT",
      `mode must be NONE, ZK or TEE (or 0, 1, 2); got ${String(mode)}.`,
    );
  }
  return m;
}

/** A mined `deliver` / `settleWithProof` transaction as a Delivery (its `ResultDelivered` event). */
function delivery(
  requestId: Hex,
  tx: TxResult,
  result: Pick<Delivery, "batchId" | "executor" | "outputHash" | "outputs">,
): Delivery {
  const [event] = parseEventLogs({
    abi: inferenceHubAbi,
    eventName: "ResultDelivered",
    logs: tx.receipt.logs,
  });
  return {
    requestId,
    txHash: tx.hash,
    blockNumber: tx.receipt.blockNumber,
    callbackSuccess: event?.args.callbackSuccess ?? false,
    batchId: result.batchId,
    executor: result.executor,
    outputHash: result.outputHash,
    outputs: result.outputs,
    gasUsed: tx.receipt.gasUsed,
  };
}

function checkHex32(value: Hex, name: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new OpgSdkError("INVALID_ARGUMENT", `${name} must be a 0x-prefixed 32-byte hex string.`);
  }
  return value.toLowerCase() as Hex;
}

/** `base` joined with a relative path (keeps a base path such as `https://host/opg/`). */
function endpoint(base: string, path: string): URL {
  return new URL(path, base.endsWith("/") ? base : `${base}/`);
}

function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function missing(option: string, what: string): OpgSdkError {
  return new OpgSdkError("MISSING_CONFIG", `${what} needs the \`${option}\` option of createOpgClient.`);
}

function rejected(answer: Extract<RawVerifierAnswer, { status: "rejected" }>): OpgSdkError {
  return new OpgSdkError("REJECTED", `The verifiers rejected the result: ${answer.reason.message}`, {
    meta: { requestId: answer.requestId, reason: answer.reason.code, verifier: answer.verifier },
  });
}

function rank(a: RawVerifierAnswer): number {
  return { pending: 0, rejected: 1, verified: 2, settled: a.status === "settled" && a.batch ? 4 : 3 }[
    a.status
  ];
}

/**
 * ZK proofs bind the float32 inputs that the circuit quantizes (the on-chain adapter parses float32
 * tensors): float64 inputs could pass a verifier quorum but never settle on chain, and distinct
 * float64 values that round to one float32 would share a proof. Refused at request time.
 */
function refuseFloat64ForZk(tensors: TensorMap): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== "float32") {
      throw new OpgSdkError(
        "INVALID_ARGUMENT",
        `ZK requests take float32 inputs; input "${name}" is ${t.dtype}.`,
        {
          details:
            "Convert the inputs to float32 (Float32Array): that is what the proof binds and the chain checks.",
        },
      );
    }
  }
}
