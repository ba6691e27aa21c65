import {
  type OpgDomain,
  proofModeName,
  type ResultMessage,
  resultHash,
  type ValidationAction,
  ValidationError,
  WIRE_LIMITS,
} from "@opg/protocol";
import type { Address, Hex } from "viem";
import type { OnchainRequest } from "../chain/ChainView.js";
import type { VerifierStore } from "../store/VerifierStore.js";
import type { VerifyMetrics } from "../verifyMetrics.js";
import type { CheckPool } from "./CheckPool.js";
import type { ProofVerifier } from "./ProofVerifier.js";
import type { RegistryCache } from "./RegistryCache.js";
import {
  type Checked,
  type CheckFailure,
  decodeCheck,
  directRequestCheck,
  isCheckFailure,
  outputsCheck,
  signatureCheck,
} from "./resultChecks.js";
import { peekResultHash } from "./resultHeader.js";
import { StepMetrics } from "./StepMetrics.js";

/**
 * Steps of the pipeline, in order, cheapest first and authentication before any spending: a
 * duplicate is dropped before any signature recovery; nothing is read from the chain for a
 * message whose executor signature does not verify; request and model chain reads (and anything
 * recorded or stored) happen only for a registered executor's signed result. Each step has its
 * own outcome metric.
 */
export const VALIDATION_STEPS = [
  "decode",
  "duplicate",
  "signature",
  "executor",
  "outputs",
  "request",
  "model",
  "equivocation",
  "proof",
] as const;
export type ValidationStep = (typeof VALIDATION_STEPS)[number];

/** Steps after this one run only for a result signed by a registered executor. */
const AUTHENTICATED_AFTER = VALIDATION_STEPS.indexOf("executor");

/** Bounded codes of a refused result. */
export type ResultRejectCode =
  | "MALFORMED"
  | "INTERNAL"
  | "OUTPUT_HASH_MISMATCH"
  | "BAD_OUTPUTS"
  | "BAD_REQUEST_SIGNATURE"
  | "REQUEST_ID_MISMATCH"
  | "REQUEST_EXPIRED"
  | "UNKNOWN_REQUEST"
  | "REQUEST_MISMATCH"
  | "BAD_SIGNATURE"
  | "UNREGISTERED_EXECUTOR"
  | "EXECUTOR_UNKNOWN"
  | "UNKNOWN_MODEL"
  | "MODE_NOT_ALLOWED"
  | "DUPLICATE"
  | "EQUIVOCATION"
  | "NO_VERIFIER_FOR_MODE"
  | "BAD_PROOF"
  | "CHAIN_UNAVAILABLE";

/**
 * IGNORE codes that say nothing against the peer that sent the result (our chain, our bug, a
 * republished result, our RPC lagging, a deadline): they never cost the sender score.
 */
export const BLAMELESS_RESULT_IGNORES: readonly ResultRejectCode[] = [
  "CHAIN_UNAVAILABLE",
  "EXECUTOR_UNKNOWN",
  "INTERNAL",
  "NO_VERIFIER_FOR_MODE",
  "DUPLICATE",
  "UNKNOWN_REQUEST",
  "REQUEST_EXPIRED",
];

export class ResultRejected extends ValidationError<ResultRejectCode> {
  override name = "ResultRejected";
  readonly step: ValidationStep;

  constructor(
    step: ValidationStep,
    action: ValidationAction,
    code: ResultRejectCode,
    message: string,
    options: { cause?: unknown; details?: string } = {},
  ) {
    super(action, code, message, options);
    this.step = step;
  }

  /**
   * Whether the refused message was authenticated: its executor signature verified and that
   * executor is registered. Only such a refusal may be recorded, deferred or shown: anyone can
   * make a message that fails earlier, under any requestId.
   */
  get authenticated(): boolean {
    return VALIDATION_STEPS.indexOf(this.step) > AUTHENTICATED_AFTER;
  }
}

export type VerifiedResult = { message: ResultMessage; resultHash: Hex; bytes: Uint8Array };

export type ResultValidatorOptions = {
  /** Accept a direct request this many seconds past its deadline (clock skew). */
  deadlineGraceSeconds: number;
};

export const defaultResultValidatorOptions: ResultValidatorOptions = { deadlineGraceSeconds: 60 };

export type ResultValidatorDeps = {
  domain: OpgDomain;
  registry: RegistryCache;
  store: VerifierStore;
  verifiers: ReadonlyMap<number, ProofVerifier>;
  metrics?: VerifyMetrics | null | undefined;
  /** Called once per newly found executor equivocation, with both signed messages stored. */
  onEquivocation?: ((executor: Address, requestId: Hex) => void) | undefined;
  /** Called when a result we already hold arrives again (an executor republishing it). */
  onDuplicate?: ((resultHash: Hex) => void) | undefined;
  /**
   * Worker threads for the stateless checks (decode, digests, both signature recoveries, outputs
   * hash), to use the cores; inline on the event loop without one (or while none is ready).
   */
  pool?: CheckPool | undefined;
  now?: () => number;
};

/**
 * The validation pipeline every gossiped result goes through, in order (`VALIDATION_STEPS`):
 * decode → duplicate → executor signature → executor registered → outputs hash → request binding
 * → model and mode → equivocation → proof. Each step counts its outcomes; a failure throws
 * ResultRejected with REJECT (the sender misbehaved) or IGNORE (nothing wrong with the sender).
 */
export class ResultValidator {
  private readonly options: ResultValidatorOptions;
  /** Each step's outcomes and a sample of its durations (none when metrics are off). */
  private readonly stepMetrics: StepMetrics | undefined;
  private readonly now: () => number;

  constructor(
    options: Partial<ResultValidatorOptions>,
    private readonly deps: ResultValidatorDeps,
  ) {
    this.options = { ...defaultResultValidatorOptions, ...options };
    this.now = deps.now ?? Date.now;
    this.stepMetrics = deps.metrics ? new StepMetrics(deps.metrics) : undefined;
  }

  /**
   * Runs the whole pipeline on raw gossip bytes. The steps that read the chain run synchronously
   * on a fresh registry cache hit, the common case (`stepMaybe`: a promise only when one is
   * needed, awaited only then), so a result whose reads are all cached costs no promise between
   * its steps.
   */
  async validate(bytes: Uint8Array): Promise<VerifiedResult> {
    const pool = this.deps.pool;
    if (pool !== undefined && pool.readyWorkers > 0) return this.validatePooled(bytes, pool);
    const m = this.stepSync("decode", () => this.decoded(bytes));
    // resultHash is computed from the header alone (one keccak over its bytes): a replay of a
    // result we hold costs no signature recovery, no tensor hashing and no chain read.
    const hash = peekResultHash(bytes) ?? resultHash(m);
    this.stepSync("duplicate", () => this.checkDuplicate(hash));
    this.stepSync("signature", () => this.passed(signatureCheck(this.deps.domain, m)));
    let wait = this.stepMaybe("executor", () => this.checkExecutor(m));
    if (wait !== undefined) await wait;
    this.stepSync("outputs", () => this.passed(outputsCheck(m)));
    wait = this.stepMaybe("request", () =>
      m.origin.type === "direct"
        ? this.checkDirectRequest(m, directRequestCheck(this.deps.domain, m))
        : this.checkOnchainRequest(m),
    );
    if (wait !== undefined) await wait;
    return this.stateful(m, hash, bytes);
  }

  /**
   * The same pipeline with the stateless checks on a worker: the size cap and the duplicate check
   * first, here, on the resultHash read from the header bytes (neither an oversized message nor a
   * replay reaches a worker); then the worker
   * decodes, hashes and checks both signatures and the outputs in one go; then the stateful steps
   * here, failures reported in pipeline order. The decode step's time is the worker's round trip.
   */
  private async validatePooled(bytes: Uint8Array, pool: CheckPool): Promise<VerifiedResult> {
    // Oversized: refused here by the decoder's size cap, never copied to a worker.
    if (bytes.length > WIRE_LIMITS.resultMessageBytes) this.stepSync("decode", () => this.decoded(bytes));
    const peeked = peekResultHash(bytes);
    if (peeked !== undefined && this.deps.store.knowsResult(peeked)) {
      // A replay: decoded here (a malformed one is still MALFORMED), then dropped as a duplicate.
      const m = this.stepSync("decode", () => this.decoded(bytes));
      this.stepSync("duplicate", () => this.checkDuplicate(resultHash(m)));
    }
    const c = await this.step("decode", async () => {
      const checked = await pool.check(bytes);
      this.failedAt("decode", checked);
      return checked;
    });
    const m = c.message!;
    // (A message whose header could not be read failed decoding above; checked here regardless.)
    const hash = peeked ?? resultHash(m);
    this.stepSync("duplicate", () => (peeked !== undefined ? undefined : this.checkDuplicate(hash)));
    this.stepSync("signature", () => this.failedAt("signature", c));
    let wait = this.stepMaybe("executor", () => this.checkExecutor(m));
    if (wait !== undefined) await wait;
    this.stepSync("outputs", () => this.failedAt("outputs", c));
    wait = this.stepMaybe("request", () =>
      m.origin.type === "direct"
        ? this.checkDirectRequest(m, c.failure?.step === "request" ? c.failure : undefined)
        : this.checkOnchainRequest(m),
    );
    if (wait !== undefined) await wait;
    return this.stateful(m, hash, bytes);
  }

  /** The steps after the request binding: model and mode, equivocation, proof. */
  private async stateful(m: ResultMessage, hash: Hex, bytes: Uint8Array): Promise<VerifiedResult> {
    let wait = this.stepMaybe("model", () => this.checkModel(m));
    if (wait !== undefined) await wait;
    this.stepSync("equivocation", () => this.checkEquivocation(m, bytes));
    wait = this.stepMaybe("proof", () => this.checkProof(m));
    if (wait !== undefined) await wait;
    return { message: m, resultHash: hash, bytes };
  }

  private decoded(bytes: Uint8Array): ResultMessage {
    const d = decodeCheck(bytes);
    if (isCheckFailure(d)) throw this.rejection(d);
    return d;
  }

  private checkDuplicate(hash: Hex): void {
    if (!this.deps.store.knowsResult(hash)) return;
    try {
      this.deps.onDuplicate?.(hash);
    } catch {
      // a notification only: the duplicate is dropped either way
    }
    throw new ResultRejected("duplicate", "IGNORE", "DUPLICATE", "This result is already verified.");
  }

  /** Throws the failure of a stateless check, if any. */
  private passed(failure: CheckFailure | undefined): void {
    if (failure !== undefined) throw this.rejection(failure);
  }

  /** Throws the worker's failure when it is at this step. */
  private failedAt(step: CheckFailure["step"], c: Checked): void {
    if (c.failure?.step === step) throw this.rejection(c.failure);
  }

  private rejection(f: CheckFailure): ResultRejected {
    if (f.internal) {
      return new ResultRejected(f.step, "IGNORE", "INTERNAL", f.message, { cause: f.cause });
    }
    return this.reject(f.step, f.code, f.message, f.cause);
  }

  private async step<T>(step: ValidationStep, fn: () => T | Promise<T>): Promise<T> {
    const end = this.stepMetrics?.start(step);
    try {
      const out = await fn();
      this.stepMetrics?.passed(step);
      return out;
    } catch (e) {
      throw this.failed(step, e);
    } finally {
      end?.();
    }
  }

  /** `step` for a synchronous check (no promise per step on the hot path). */
  private stepSync<T>(step: ValidationStep, fn: () => T): T {
    const end = this.stepMetrics?.start(step);
    try {
      const out = fn();
      this.stepMetrics?.passed(step);
      return out;
    } catch (e) {
      throw this.failed(step, e);
    } finally {
      end?.();
    }
  }

  /**
   * A step that is synchronous when it can be (a chain read answered by the cache): done here when
   * `fn` returns nothing, else the promise of its end, which the caller awaits.
   */
  private stepMaybe(step: ValidationStep, fn: () => void | Promise<void>): Promise<void> | undefined {
    const end = this.stepMetrics?.start(step);
    let out: void | Promise<void>;
    try {
      out = fn();
    } catch (e) {
      end?.();
      throw this.failed(step, e);
    }
    if (out === undefined) {
      this.passedStep(step, end);
      return undefined;
    }
    return out.then(
      () => this.passedStep(step, end),
      (e: unknown) => {
        end?.();
        throw this.failed(step, e);
      },
    );
  }

  /** A step that passed, counted and timed. */
  private passedStep(step: ValidationStep, end: (() => unknown) | undefined): void {
    this.stepMetrics?.passed(step);
    end?.();
  }

  /** A step's failure as a ResultRejected, counted. */
  private failed(step: ValidationStep, e: unknown): ResultRejected {
    const err =
      e instanceof ResultRejected
        ? e
        : // Our own failure is not the sender's fault: drop the message, never penalise the peer.
          new ResultRejected(step, "IGNORE", "INTERNAL", `Step ${step} failed unexpectedly.`, {
            cause: e,
          });
    this.stepMetrics?.failed(step, err.action.toLowerCase(), err.code);
    return err;
  }

  private reject(
    step: ValidationStep,
    code: ResultRejectCode,
    message: string,
    cause?: unknown,
  ): ResultRejected {
    const details = cause instanceof Error ? cause.message : undefined;
    return new ResultRejected(step, "REJECT", code, message, details ? { cause, details } : { cause });
  }

  /** A direct request's binding: the stateless check's verdict, then the deadline. */
  private checkDirectRequest(m: ResultMessage, direct: CheckFailure | undefined): void {
    if (direct !== undefined) throw this.rejection(direct);
    if (m.origin.type !== "direct") return;
    const now = BigInt(Math.floor(this.now() / 1000));
    if (m.origin.deadline + BigInt(this.options.deadlineGraceSeconds) < now) {
      throw new ResultRejected("request", "IGNORE", "REQUEST_EXPIRED", "The request's deadline has passed.");
    }
  }

  /**
   * An on-chain request's binding: the hub's request (cached, else read) names this result's
   * model, input and mode.
   */
  private checkOnchainRequest(m: ResultMessage): void | Promise<void> {
    const known = this.deps.registry.knownOnchainRequest(m.requestId);
    if (known !== undefined) return this.requestVerdict(m, known.value);
    return this.chain("request", () => this.deps.registry.onchainRequest(m.requestId)).then((onchain) =>
      this.requestVerdict(m, onchain),
    );
  }

  private requestVerdict(m: ResultMessage, onchain: OnchainRequest | undefined): void {
    if (!onchain) {
      // Our RPC may lag the executor's: not the sender's fault.
      throw new ResultRejected("request", "IGNORE", "UNKNOWN_REQUEST", "The hub has no such request (yet).");
    }
    if (onchain.modelId !== m.modelId || onchain.inputHash !== m.inputHash || onchain.mode !== m.mode) {
      throw this.reject(
        "request",
        "REQUEST_MISMATCH",
        "Model, input or mode differ from the on-chain request.",
      );
    }
  }

  /** Whether the signer is a registered, staked executor (cached, else read). */
  private checkExecutor(m: ResultMessage): void | Promise<void> {
    const known = this.deps.registry.knownExecutor(m.executor);
    if (known !== undefined) return this.executorVerdict(m, known);
    return this.deps.registry.isActiveExecutor(m.executor).then(
      (active) => this.executorVerdict(m, active),
      (cause: unknown) => {
        // The chain cannot say, and we never heard of this executor: drop it unrecorded (it is
        // not authenticated; a real executor republishes). Blameless (our RPC is down, not the
        // sender's fault); a flood of fresh keys costs at most one RPC attempt per second, as the
        // registry cache fails fast while the chain is down.
        throw new ResultRejected(
          "executor",
          "IGNORE",
          "EXECUTOR_UNKNOWN",
          "The executor's registration could not be read.",
          { cause },
        );
      },
    );
  }

  private executorVerdict(m: ResultMessage, active: boolean): void {
    if (!active) {
      throw this.reject(
        "executor",
        "UNREGISTERED_EXECUTOR",
        `Executor ${m.executor} is not registered and staked.`,
      );
    }
  }

  private checkModel(m: ResultMessage): void | Promise<void> {
    // An on-chain request names its listing, whose modes the hub enforced when it was made (and the
    // request check above matched model, input and mode): nothing more to read.
    if (m.origin.type === "onchain") return;
    const known = this.deps.registry.knownModelModes(m.modelId, m.executor);
    if (known !== undefined) return this.modelVerdict(m, known.value);
    return this.chain("model", () => this.deps.registry.modelModes(m.modelId, m.executor)).then((modes) =>
      this.modelVerdict(m, modes),
    );
  }

  private modelVerdict(m: ResultMessage, modes: number | undefined): void {
    if (modes === undefined)
      throw this.reject("model", "UNKNOWN_MODEL", `Model ${m.modelId} is not registered.`);
    if ((modes & (1 << m.mode)) === 0) {
      throw this.reject(
        "model",
        "MODE_NOT_ALLOWED",
        `Model ${m.modelId} does not allow mode ${proofModeName(m.mode)}.`,
      );
    }
  }

  private checkEquivocation(m: ResultMessage, bytes: Uint8Array): void {
    const earlierOutput = this.deps.store.outputHashOfExecutor(m.requestId, m.executor);
    if (earlierOutput === undefined || earlierOutput === m.outputHash) return;
    const earlier = this.deps.store.resultOfExecutor(m.requestId, m.executor)!;
    const fresh = this.deps.store.insertEquivocation({
      kind: "executor",
      key: `${m.executor.toLowerCase()}:${m.requestId}`,
      offender: m.executor,
      evidence: packEvidence(earlier.message, bytes),
    });
    if (fresh) this.deps.onEquivocation?.(m.executor, m.requestId);
    throw this.reject("equivocation", "EQUIVOCATION", "The executor signed two outputs for one request.");
  }

  /** The mode's proof verifier's verdict: synchronous when it decides without waiting (NONE). */
  private checkProof(m: ResultMessage): void | Promise<void> {
    const verifier = this.deps.verifiers.get(m.mode);
    if (!verifier) {
      throw new ResultRejected(
        "proof",
        "IGNORE",
        "NO_VERIFIER_FOR_MODE",
        `This node cannot check ${proofModeName(m.mode)} proofs.`,
      );
    }
    let out: void | Promise<void>;
    try {
      out = verifier.verify(m);
    } catch (cause) {
      throw this.proofFailure(cause);
    }
    if (out === undefined) return;
    return out.catch((cause: unknown) => {
      throw this.proofFailure(cause);
    });
  }

  private proofFailure(cause: unknown): ResultRejected {
    if (cause instanceof ResultRejected) return cause; // e.g. CHAIN_UNAVAILABLE: deferred, not refused
    if (cause instanceof ValidationError) {
      // The proof verifier's own code (e.g. PCR_MISMATCH) rides along as the cause.
      return new ResultRejected("proof", cause.action, "BAD_PROOF", cause.shortMessage, {
        cause,
        details: String(cause.code),
      });
    }
    return this.reject("proof", "BAD_PROOF", "The proof does not verify.", cause);
  }

  /** A chain read that fails for lack of an RPC is nobody's fault: IGNORE (gossip retries). */
  private async chain<T>(step: ValidationStep, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new ResultRejected(step, "IGNORE", "CHAIN_UNAVAILABLE", "The chain could not be read.", {
        cause,
      });
    }
  }
}

/** Two wire messages as one blob: u32 length of the first, then both. */
export function packEvidence(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + a.length + b.length);
  new DataView(out.buffer).setUint32(0, a.length, true);
  out.set(a, 4);
  out.set(b, 4 + a.length);
  return out;
}

export function unpackEvidence(blob: Uint8Array): [Uint8Array, Uint8Array] {
  const n = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0, true);
  return [blob.subarray(4, 4 + n), blob.subarray(4 + n)];
}
