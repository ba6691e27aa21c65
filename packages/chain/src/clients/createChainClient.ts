import {
  type Chain,
  createPublicClient,
  defineChain,
  type HttpTransport,
  http,
  type PublicClient,
} from "viem";
import { ChainError } from "../errors/ChainError.js";

export type ChainClientOptions = {
  /** JSON-RPC endpoint (http or https). */
  rpcUrl: string;
  /** Chain id of the network (signing needs it; the RPC is checked against it). */
  chainId: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /**
   * Retries inside the transport (viem's own, for 5xx/429/-32603 and network errors). Kept low:
   * the watcher and sender add their own, longer backoff on top.
   */
  retryCount: number;
  /** Base delay of the transport's retries (exponential). */
  retryDelayMs: number;
  /** Interval of viem's own polling helpers (not used by the watcher, which has its own). */
  pollingIntervalMs: number;
};

export const defaultChainClientOptions: Omit<ChainClientOptions, "rpcUrl" | "chainId"> = {
  timeoutMs: 10_000,
  retryCount: 1,
  retryDelayMs: 200,
  pollingIntervalMs: 1_000,
};

/** A viem chain definition for an opg network reachable at `rpcUrl`. */
export function opgChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `opg-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** A public client over HTTP with explicit timeout and retry settings. */
export function createChainClient(
  options: Pick<ChainClientOptions, "rpcUrl" | "chainId"> & Partial<ChainClientOptions>,
): PublicClient<HttpTransport, Chain> {
  const o = { ...defaultChainClientOptions, ...options };
  const problems: string[] = [];
  if (!/^https?:\/\//.test(o.rpcUrl)) problems.push("rpcUrl: an http:// or https:// URL");
  if (!Number.isSafeInteger(o.chainId) || o.chainId <= 0) problems.push("chainId: a positive integer");
  if (!(o.timeoutMs > 0)) problems.push("timeoutMs: > 0");
  if (!Number.isInteger(o.retryCount) || o.retryCount < 0) problems.push("retryCount: an integer ≥ 0");
  if (problems.length > 0) {
    throw new ChainError("INVALID_OPTIONS", "Invalid chain client options.", {
      details: problems.join("; "),
    });
  }
  return createPublicClient({
    chain: opgChain(o.chainId, o.rpcUrl),
    transport: http(o.rpcUrl, { timeout: o.timeoutMs, retryCount: o.retryCount, retryDelay: o.retryDelayMs }),
    pollingInterval: o.pollingIntervalMs,
  });
}
