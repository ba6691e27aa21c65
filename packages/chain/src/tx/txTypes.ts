import type { Logger } from "@opg/protocol";
import type {
  Abi,
  Address,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  Hex,
  LocalAccount,
  TransactionReceipt,
} from "viem";
import type { TxFees } from "./fees.js";

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

export type WriteMutability = "nonpayable" | "payable";

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

/** One nonce's transaction and its replacements (internal to the sender). */
export type Pending = {
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
