import { OpgError, RetryableError } from "@opg/protocol";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  createPublicClient,
  encodeErrorResult,
  HttpRequestError,
  http,
  InternalRpcError,
  LimitExceededRpcError,
  MethodNotFoundRpcError,
  RpcRequestError,
  TimeoutError,
} from "viem";
import { describe, expect, test } from "vitest";
import { operatorRegistryAbi } from "../../src/abis.js";
import { ChainError, ChainRetryableError, RevertedError } from "../../src/errors/ChainError.js";
import { classifyError, isRetryable } from "../../src/errors/classifyError.js";

const url = "http://127.0.0.1:1";

function rpcError(code: number, message: string, data?: unknown): RpcRequestError {
  return new RpcRequestError({
    body: { method: "eth_sendRawTransaction" },
    error: { code, message, data },
    url,
  });
}

describe("classifyError", () => {
  test("default: unknown errors are non-retryable UNKNOWN", () => {
    const error = classifyError(new Error("something odd"));
    expect(error).toBeInstanceOf(ChainError);
    expect(error.code).toBe("UNKNOWN");
    expect(error.retryable).toBe(false);
  });

  test("behavior: chain errors pass through unchanged", () => {
    const original = new ChainError("TX_DROPPED", "dropped");
    expect(classifyError(original)).toBe(original);
    const retryable = new ChainRetryableError("RPC_TIMEOUT", "slow");
    expect(classifyError(retryable)).toBe(retryable);
  });

  test("behavior: other opg errors keep their retryability", () => {
    expect(classifyError(new RetryableError("BUSY", "busy")).retryable).toBe(true);
    expect(classifyError(new OpgError("BAD", "bad")).retryable).toBe(false);
  });

  test.each([
    [
      "connection refused",
      new HttpRequestError({ url, details: "fetch failed", cause: new TypeError("fetch failed") }),
      "RPC_UNAVAILABLE",
    ],
    ["timeout", new TimeoutError({ body: {}, url }), "RPC_TIMEOUT"],
    [
      "HTTP 500",
      new HttpRequestError({ url, status: 500, details: "Internal Server Error" }),
      "RPC_SERVER_ERROR",
    ],
    ["HTTP 502", new HttpRequestError({ url, status: 502 }), "RPC_SERVER_ERROR"],
    ["HTTP 503", new HttpRequestError({ url, status: 503 }), "RPC_SERVER_ERROR"],
    ["HTTP 504", new HttpRequestError({ url, status: 504 }), "RPC_TIMEOUT"],
    ["HTTP 429", new HttpRequestError({ url, status: 429 }), "RATE_LIMITED"],
    ["-32603 internal", new InternalRpcError(rpcError(-32603, "internal error")), "RPC_SERVER_ERROR"],
    ["-32005 limit", new LimitExceededRpcError(rpcError(-32005, "limit exceeded")), "RATE_LIMITED"],
    ["-32000 header not found", rpcError(-32000, "header not found"), "RPC_SERVER_ERROR"],
    ["ECONNRESET", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "RPC_UNAVAILABLE"],
  ])("behavior: %s is retryable", (_name, raw, code) => {
    const error = classifyError(raw);
    expect(error).toBeInstanceOf(ChainRetryableError);
    expect(error.code).toBe(code);
    expect(isRetryable(raw)).toBe(true);
  });

  test.each([
    ["nonce too low (geth)", "nonce too low: next nonce 5, tx nonce 4", "NONCE_TOO_LOW"],
    ["nonce too low (hardhat)", "Nonce too low. Expected nonce to be 1 but got 0.", "NONCE_TOO_LOW"],
    ["nonce too high", "Nonce too high. Expected nonce to be 1 but got 9.", "NONCE_TOO_HIGH"],
    ["funds (geth)", "insufficient funds for gas * price + value", "INSUFFICIENT_FUNDS"],
    [
      "funds (hardhat)",
      "Sender doesn't have enough funds to send tx. The max upfront cost is: 1",
      "INSUFFICIENT_FUNDS",
    ],
    ["already known", "already known", "ALREADY_KNOWN"],
    ["underpriced replacement", "replacement transaction underpriced", "REPLACEMENT_UNDERPRICED"],
    [
      "underpriced replacement (hardhat)",
      "Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least 4724464026 is necessary",
      "REPLACEMENT_UNDERPRICED",
    ],
    ["fee below base fee", "max fee per gas less than block base fee", "FEE_TOO_LOW"],
    ["intrinsic gas", "intrinsic gas too low", "GAS_LIMIT"],
  ])("behavior: node message %s maps to its code", (_name, message, code) => {
    // -32000 and -32603 carry most node errors; the message decides, not the code.
    for (const raw of [rpcError(-32000, message), new InternalRpcError(rpcError(-32603, message))]) {
      const error = classifyError(raw);
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(false);
    }
  });

  test("behavior: request errors (bad params, unknown method) are non-retryable", () => {
    expect(classifyError(rpcError(-32602, "invalid argument 0")).code).toBe("INVALID_REQUEST");
    expect(classifyError(new MethodNotFoundRpcError(rpcError(-32601, "no such method"))).code).toBe(
      "INVALID_REQUEST",
    );
    expect(classifyError(new HttpRequestError({ url, status: 401 })).code).toBe("RPC_ERROR");
    expect(classifyError(rpcError(-32000, "something else")).code).toBe("RPC_ERROR");
  });

  test("behavior: revert data in an RPC error decodes into the named custom error", () => {
    const data = encodeErrorResult({
      abi: operatorRegistryAbi,
      errorName: "InsufficientStake",
      args: [1n, 2n],
    });
    const error = classifyError(
      new BaseError("estimate failed", { cause: rpcError(3, "execution reverted", data) }),
      {
        abi: operatorRegistryAbi,
      },
    );
    expect(error).toBeInstanceOf(RevertedError);
    const reverted = error as RevertedError;
    expect(reverted.code).toBe("REVERTED");
    expect(reverted.errorName).toBe("InsufficientStake");
    expect(reverted.args).toEqual([1n, 2n]);
    expect(reverted.data).toBe(data);
    expect(reverted.shortMessage).toBe(
      "Execution reverted with InsufficientStake(0.000000000000000001 ETH, 0.000000000000000002 ETH)",
    );
  });

  test("behavior: revert data wins over a retryable code (-32603 with data)", () => {
    const data = encodeErrorResult({ abi: operatorRegistryAbi, errorName: "ZeroAmount" });
    const error = classifyError(new InternalRpcError(rpcError(-32603, "VM Exception: reverted", data)), {
      abi: operatorRegistryAbi,
    });
    expect(error.retryable).toBe(false);
    expect((error as RevertedError).errorName).toBe("ZeroAmount");
  });

  test("behavior: Error(string) reverts carry the reason", () => {
    const data = encodeErrorResult({
      abi: [{ type: "error", name: "Error", inputs: [{ type: "string", name: "message" }] }],
      errorName: "Error",
      args: ["nope"],
    });
    const error = classifyError(rpcError(3, "execution reverted: nope", data)) as RevertedError;
    expect(error.errorName).toBe("Error");
    expect(error.reason).toBe("nope");
    expect(error.shortMessage).toBe("Execution reverted: nope");
  });

  test("behavior: viem's decoded ContractFunctionRevertedError is used as is", () => {
    const data = encodeErrorResult({
      abi: operatorRegistryAbi,
      errorName: "NotActive",
      args: [`0x${"11".repeat(20)}`],
    });
    const inner = new ContractFunctionRevertedError({
      abi: operatorRegistryAbi,
      data,
      functionName: "addStake",
    });
    const outer = new ContractFunctionExecutionError(inner, {
      abi: operatorRegistryAbi,
      functionName: "addStake",
    });
    const error = classifyError(outer) as RevertedError;
    expect(error.errorName).toBe("NotActive");
    expect(error.args).toEqual([`0x${"11".repeat(20)}`]);
  });

  test("behavior: unknown revert data is kept raw", () => {
    const error = classifyError(rpcError(3, "execution reverted", "0xdeadbeef")) as RevertedError;
    expect(error.code).toBe("REVERTED");
    expect(error.errorName).toBeUndefined();
    expect(error.data).toBe("0xdeadbeef");
  });

  test("behavior: an abort is STOPPED", () => {
    const abort = new DOMException("aborted", "AbortError");
    expect(classifyError(abort).code).toBe("STOPPED");
  });

  test("behavior: a real connection refused from viem's http transport is RPC_UNAVAILABLE", async () => {
    const client = createPublicClient({
      transport: http("http://127.0.0.1:9", { retryCount: 0, timeout: 2_000 }),
    });
    const error = await client.getBlockNumber().catch((e: unknown) => e);
    const classified = classifyError(error);
    expect(classified.code).toBe("RPC_UNAVAILABLE");
    expect(classified.retryable).toBe(true);
  });
});
