/**
 * Shared test fixture: an in-process chain with the opg contracts deployed from fresh artifacts, a 3-of-4
 * verifier set (f = 2), two executors, a model supporting every mode, a mock ZK verifier and a mock consumer.
 */
import {
  type Address,
  getAddress,
  type Hex,
  keccak256,
  type LocalAccount,
  parseEther,
  parseEventLogs,
  toHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBuiltHre } from "../../scripts/hre.js";
import { listingIdOf, OperatorRole } from "../../src/constants.js";
import { signSignerBinding } from "../../src/signerBinding.js";
import { type BatchHeader, buildTree, type ResultFields, signBatchRoot } from "./protocol.js";

export async function connect() {
  const hre = await getBuiltHre();
  return hre.network.create();
}

export type Connection = Awaited<ReturnType<typeof connect>>;

export const key = (label: string): Hex => keccak256(toHex(`opg-test-${label}`));
export const account = (label: string): LocalAccount => privateKeyToAccount(key(label));

export const MODEL_ID = keccak256(toHex("model-all-modes"));
export const NONE_ONLY_MODEL_ID = keccak256(toHex("model-none-only"));
/** The fixture's deployer (Hardhat's first account) publishes the fixture's listings. */
export const PUBLISHER: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
export const LISTING_ID = listingIdOf(MODEL_ID, PUBLISHER);
export const NONE_ONLY_LISTING_ID = listingIdOf(NONE_ONLY_MODEL_ID, PUBLISHER);
export const PRICE = parseEther("0.01");
export const WEIGHTS_COMMITMENT = toHex(123456789n, { size: 32 });
export const PCR_HASH = keccak256(toHex("pcr"));
export const ZK_MAGIC = 42n;

export const REGISTRY_PARAMS = {
  minExecutorStake: parseEther("1"),
  minVerifierStake: parseEther("2"),
  challengeWindow: 3_600n,
  unbondingDelay: 7_200n,
  challengerShareBps: 1_000,
} as const;

/** Canonical-looking tensor bytes (content is irrelevant to the contracts: they only hash it). */
export function tensorBytes(label: string, size = 64): Hex {
  const seed = keccak256(toHex(label)).slice(2);
  let out = "";
  while (out.length < size * 2) out += seed;
  return `0x${out.slice(0, size * 2)}`;
}

export interface FixtureOptions {
  verifiers?: number;
  f?: number;
  executors?: number;
}

export interface RequestRecord {
  requester: Address;
  modelId: Hex;
  listingId: Hex;
  inputHash: Hex;
  mode: number;
  callback: Address;
  callbackGasLimit: number;
  callbackGasPrice: bigint;
  deadline: bigint;
  fee: bigint;
}

export async function deploySystem(conn: Connection, options: FixtureOptions = {}) {
  const nVerifiers = options.verifiers ?? 4;
  const f = options.f ?? 2;
  const nExecutors = options.executors ?? 2;
  const { viem, networkHelpers } = conn;
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const admin = wallets[0]!;
  const treasury = wallets[19]!.account.address;
  const chainId = await publicClient.getChainId();

  const registry = await viem.deployContract("OperatorRegistry", [
    admin.account.address,
    { ...REGISTRY_PARAMS, treasury },
  ]);
  const models = await viem.deployContract("ModelRegistry", [registry.address]);
  const hub = await viem.deployContract("InferenceHub", [registry.address, models.address]);
  await registry.write.setHub([hub.address]);

  const verifierOwners = wallets.slice(1, 1 + nVerifiers);
  const verifierSigners = verifierOwners.map((_, i) => account(`verifier-${i}`));
  for (const [i, owner] of verifierOwners.entries()) {
    const signer = verifierSigners[i]!;
    const sig = await signSignerBinding(signer, {
      chainId,
      operatorRegistry: registry.address,
      operator: owner.account.address,
      role: OperatorRole.VERIFIER,
    });
    await registry.write.register([OperatorRole.VERIFIER, signer.address, sig], {
      account: owner.account,
      value: REGISTRY_PARAMS.minVerifierStake,
    });
  }
  await registry.write.setVerifierConfig([verifierSigners.map((s) => s.address), f]);

  const executorOwners = wallets.slice(1 + nVerifiers, 1 + nVerifiers + nExecutors);
  const executorSigners = executorOwners.map((_, i) => account(`executor-${i}`));
  for (const [i, owner] of executorOwners.entries()) {
    const signer = executorSigners[i]!;
    const sig = await signSignerBinding(signer, {
      chainId,
      operatorRegistry: registry.address,
      operator: owner.account.address,
      role: OperatorRole.EXECUTOR,
    });
    await registry.write.register([OperatorRole.EXECUTOR, signer.address, sig], {
      account: owner.account,
      value: REGISTRY_PARAMS.minExecutorStake,
    });
  }

  const zkVerifier = await viem.deployContract("MockZkVerifier", [ZK_MAGIC]);
  if (getAddress(admin.account.address) !== PUBLISHER) throw new Error("fixture: unexpected deployer");
  await models.write.createListing([
    {
      modelId: MODEL_ID,
      metadataURI: "ipfs://model-all-modes",
      modes: 0b111,
      price: PRICE,
      weightsCommitment: WEIGHTS_COMMITMENT,
      zkVerifier: zkVerifier.address,
      vkHash: await zkVerifier.read.verificationKeyHash(),
      measurements: [PCR_HASH],
    },
  ]);
  await models.write.createListing([
    {
      modelId: NONE_ONLY_MODEL_ID,
      metadataURI: "ipfs://model-none",
      modes: 0b001,
      price: 0n,
      weightsCommitment: `0x${"00".repeat(32)}`,
      zkVerifier: zeroAddress,
      vkHash: `0x${"00".repeat(32)}`,
      measurements: [],
    },
  ]);
  const configDigestValue = await registry.read.configDigest();

  /** Signs a ZkKeySeal of the listing's key with the given verifier indices (default 0..f). */
  async function signZkKeySeal(
    listingId: Hex,
    transcriptHash: Hex = keccak256(toHex("transcript")),
    signerIndices: readonly number[] = Array.from({ length: f + 1 }, (_, i) => i),
  ) {
    const info = await models.read.getListing([listingId]);
    const seal = {
      listingId,
      vkHash: info.vkHash,
      transcriptHash,
      configDigest: await registry.read.configDigest(),
    };
    const digest = await models.read.zkKeySealDigest([seal]);
    const signatures = await Promise.all(
      signerIndices.map((i) => verifierSigners[i]!.sign({ hash: digest })),
    );
    return { seal, signatures };
  }

  /** Seals the listing's ZK key with f + 1 verifier signatures. */
  async function sealZkKey(listingId: Hex) {
    const { seal, signatures } = await signZkKeySeal(listingId);
    await publicClient.waitForTransactionReceipt({ hash: await models.write.sealZkKey([seal, signatures]) });
  }
  await sealZkKey(LISTING_ID);
  const consumer = await viem.deployContract("MockConsumer", [hub.address]);
  const requester = wallets[18]!;
  /** The next batch id the hub takes (sequence number of the last one + 1, round 0). */
  const nextBatchId = async () => ((await hub.read.lastBatchId()) & ((1n << 40n) - 1n)) + 1n;

  /** Sends requestInference and returns the id and the committed record (from the event). */
  async function request(
    overrides: Partial<{
      listingId: Hex;
      input: Hex;
      mode: number;
      callback: Address;
      callbackGasLimit: number;
      callbackGasPrice: bigint;
      deadline: bigint;
      value: bigint;
      from: (typeof wallets)[number];
    }> = {},
  ) {
    const now = BigInt(await networkHelpers.time.latest());
    const from = overrides.from ?? requester;
    const hash = await hub.write.requestInference(
      [
        overrides.listingId ?? LISTING_ID,
        overrides.input ?? tensorBytes(`input-${now}-${Math.random()}`),
        overrides.mode ?? 0,
        overrides.callback ?? zeroAddress,
        overrides.callbackGasLimit ?? 0,
        overrides.callbackGasPrice ?? 0n,
        overrides.deadline ?? now + 3_600n,
      ],
      { value: overrides.value ?? PRICE, account: from.account },
    );
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({ abi: hub.abi, logs: receipt.logs, eventName: "InferenceRequested" });
    if (event === undefined) throw new Error("no InferenceRequested event");
    return { requestId: event.args.requestId, request: event.args.request as RequestRecord, receipt, event };
  }

  /** Signs a header with the given verifier indices. */
  function signHeader(header: BatchHeader, signerIndices: readonly number[]) {
    return Promise.all(
      signerIndices.map((i) => signBatchRoot(verifierSigners[i]!, chainId, hub.address, header)),
    );
  }

  /** Builds a tree over `results`, signs it with verifiers 0..f and settles it. */
  async function settle(results: readonly ResultFields[], signerIndices?: readonly number[]) {
    const tree = buildTree(results);
    const header: BatchHeader = {
      configDigest: await registry.read.configDigest(),
      batchId: await nextBatchId(),
      root: tree.root as Hex,
      count: results.length,
    };
    const signatures = await signHeader(header, signerIndices ?? Array.from({ length: f + 1 }, (_, i) => i));
    const hash = await hub.write.settleBatch([header, signatures]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    return { tree, header, receipt };
  }

  function resultFor(
    requestId: Hex,
    req: RequestRecord,
    output: Hex,
    executor: Address = executorSigners[0]!.address,
  ): ResultFields {
    return {
      requestId,
      modelId: req.modelId,
      inputHash: req.inputHash,
      outputHash: keccak256(output),
      executor,
    };
  }

  return {
    conn,
    viem,
    networkHelpers,
    publicClient,
    wallets,
    admin,
    treasury,
    requester,
    chainId,
    registry,
    models,
    hub,
    zkVerifier,
    consumer,
    f,
    verifierOwners,
    verifierSigners,
    executorOwners,
    executorSigners,
    configDigest: configDigestValue,
    request,
    signZkKeySeal,
    sealZkKey,
    signHeader,
    settle,
    resultFor,
    /** Reserves a batch id (for tests that build headers by hand). */
    takeBatchId: nextBatchId,
  };
}

export type System = Awaited<ReturnType<typeof deploySystem>>;
