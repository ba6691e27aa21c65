import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ChainError, ChainRetryableError, RevertedError } from "@opg/chain";
import { OpgError } from "@opg/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchJson, remoteError } from "../src/http/fetchJson.js";
import { fromChainError, isOpgSdkError, OpgSdkError } from "../src/index.js";

describe("OpgSdkError", () => {
  it("default: an OpgError with a bounded code; unreachable and timeouts are retryable", () => {
    const e = new OpgSdkError("TIMEOUT", "gave up", { details: "after 1 s", meta: { requestId: "0x" } });
    expect(e).toBeInstanceOf(OpgError);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      name: "OpgSdkError",
      code: "TIMEOUT",
      shortMessage: "gave up",
      retryable: true,
    });
    expect(e.message).toContain("after 1 s");
    for (const code of ["EXECUTOR_UNREACHABLE", "VERIFIER_UNREACHABLE"] as const) {
      expect(new OpgSdkError(code, "x").retryable).toBe(true);
    }
    for (const code of [
      "REJECTED",
      "BAD_SIGNATURE",
      "HASH_MISMATCH",
      "PROOF_INVALID",
      "NOT_SETTLED",
    ] as const) {
      expect(new OpgSdkError(code, "x").retryable).toBe(false);
    }
    expect(new OpgSdkError("CHAIN_ERROR", "x", { retryable: true }).retryable).toBe(true);
    expect(isOpgSdkError(e)).toBe(true);
    expect(isOpgSdkError(e, "TIMEOUT")).toBe(true);
    expect(isOpgSdkError(e, "REJECTED")).toBe(false);
    expect(isOpgSdkError(new Error("x"))).toBe(false);
  });
});

describe("fromChainError", () => {
  it("default: a revert becomes CHAIN_ERROR with the decoded custom error name", () => {
    const revert = new RevertedError({ errorName: "AlreadyDelivered", args: ["0x01"] });
    const e = fromChainError(revert, "deliver");
    expect(e).toMatchObject({
      code: "CHAIN_ERROR",
      retryable: false,
      meta: { chainCode: "REVERTED", errorName: "AlreadyDelivered" },
    });
    expect(e.cause).toBe(revert);
    expect(e.shortMessage).toMatch(/^deliver: /);
  });

  it("behavior: retryable chain errors stay retryable; STOPPED becomes ABORTED; OpgSdkError passes", () => {
    const down = fromChainError(new ChainRetryableError("RPC_UNAVAILABLE", "down"), "read");
    expect(down).toMatchObject({
      code: "CHAIN_ERROR",
      retryable: true,
      meta: { chainCode: "RPC_UNAVAILABLE" },
    });
    expect(fromChainError(new ChainError("STOPPED", "stopped"), "send").code).toBe("ABORTED");
    const own = new OpgSdkError("NOT_FOUND", "x");
    expect(fromChainError(own, "x")).toBe(own);
    const unknown = fromChainError(new Error("something odd"), "read");
    expect(unknown).toMatchObject({ code: "CHAIN_ERROR", meta: { chainCode: "UNKNOWN" } });
    const refused = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    expect(fromChainError(refused, "read")).toMatchObject({ code: "CHAIN_ERROR", retryable: true });
  });
});

describe("fetchJson and remoteError", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 2_000);
      if (req.url === "/text") return void res.end("<html>");
      if (req.url === "/error") {
        res.writeHead(400, { "content-type": "application/json" });
        return void res.end(
          JSON.stringify({ error: { code: "MODEL_NOT_SERVED", message: "no such model", retryable: false } }),
        );
      }
      if (req.url === "/busy") {
        res.writeHead(503, { "content-type": "application/json" });
        return void res.end(
          JSON.stringify({ error: { code: "BUSY", message: "queue full", retryable: true } }),
        );
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const opts = { fetch: globalThis.fetch, timeoutMs: 1_000 };

  it("default: JSON answers come back with their status", async () => {
    await expect(
      fetchJson("verifier", new URL(`${base}/ok`), { method: "GET" }, opts),
    ).resolves.toMatchObject({
      status: 200,
      body: { ok: true },
    });
  });

  it("error: connection refused and timeouts are *_UNREACHABLE (retryable)", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await expect(
      fetchJson("executor", new URL(`http://127.0.0.1:${port}/`), { method: "POST", body: {} }, opts),
    ).rejects.toMatchObject({ code: "EXECUTOR_UNREACHABLE", retryable: true, meta: { timedOut: false } });
    await expect(
      fetchJson("verifier", new URL(`${base}/slow`), { method: "GET" }, { ...opts, timeoutMs: 100 }),
    ).rejects.toMatchObject({ code: "VERIFIER_UNREACHABLE", meta: { timedOut: true } });
  });

  it("error: the caller's abort is ABORTED; a non-JSON body is BAD_RESPONSE", async () => {
    const controller = new AbortController();
    const pending = fetchJson(
      "verifier",
      new URL(`${base}/slow`),
      { method: "GET" },
      { ...opts, signal: controller.signal },
    );
    controller.abort(new Error("user"));
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    await expect(
      fetchJson("verifier", new URL(`${base}/text`), { method: "GET" }, opts),
    ).rejects.toMatchObject({
      code: "BAD_RESPONSE",
      meta: { status: 200 },
    });
  });

  it("behavior: opg error bodies map to EXECUTOR_ERROR / VERIFIER_ERROR with the remote code", async () => {
    const refused = await fetchJson("executor", new URL(`${base}/error`), { method: "GET" }, opts);
    expect(remoteError("executor", refused, "infer")).toMatchObject({
      code: "EXECUTOR_ERROR",
      retryable: false,
      meta: { status: 400, remoteCode: "MODEL_NOT_SERVED" },
    });
    const busy = await fetchJson("verifier", new URL(`${base}/busy`), { method: "GET" }, opts);
    expect(remoteError("verifier", busy, "read")).toMatchObject({
      code: "VERIFIER_ERROR",
      retryable: true,
      meta: { status: 503, remoteCode: "BUSY" },
    });
  });
});
