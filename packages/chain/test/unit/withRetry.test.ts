import { HttpRequestError } from "viem";
import { describe, expect, test } from "vitest";
import { ChainError } from "../../src/errors/ChainError.js";
import { backoffDelay } from "../../src/retry/backoff.js";
import { sleep } from "../../src/retry/sleep.js";
import { withRetry } from "../../src/retry/withRetry.js";

const fast = { attempts: 4, backoff: { initialDelayMs: 1, maxDelayMs: 2, factor: 2, jitter: 0 } };
const down = () => new HttpRequestError({ url: "http://x", details: "fetch failed" });

describe("withRetry", () => {
  test("default: returns the first success", async () => {
    expect(await withRetry(async () => 7, fast)).toBe(7);
  });

  test("behavior: retries retryable failures until success", async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      if (++calls < 3) throw down();
      return "ok";
    }, fast);
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  test("behavior: gives up after the attempts with the classified error", async () => {
    let calls = 0;
    const error = await withRetry(async () => {
      calls++;
      throw down();
    }, fast).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toMatchObject({ code: "RPC_UNAVAILABLE", retryable: true });
  });

  test("behavior: does not retry non-retryable failures", async () => {
    let calls = 0;
    const error = await withRetry(async () => {
      calls++;
      throw new ChainError("INSUFFICIENT_FUNDS", "poor");
    }, fast).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
  });

  test("behavior: an aborted signal stops retrying with STOPPED", async () => {
    const controller = new AbortController();
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        controller.abort();
        throw down();
      },
      { attempts: 10, backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 1, jitter: 0 } },
      { signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ code: "STOPPED" });
  });
});

describe("backoffDelay", () => {
  test("default: grows exponentially up to the cap", () => {
    const o = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  test("behavior: jitter only shortens", () => {
    const o = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(1, o, () => 1)).toBe(50);
    expect(backoffDelay(1, o, () => 0)).toBe(100);
  });
});

describe("sleep", () => {
  test("behavior: resolves early on abort", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    await sleep(1, controller.signal);
  });
});
