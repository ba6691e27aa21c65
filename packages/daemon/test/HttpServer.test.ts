import { request } from "node:http";
import { OpgError, RetryableError, ValidationError } from "@opg/protocol";
import { afterEach, describe, expect, it } from "vitest";
import {
  HttpError,
  HttpReply,
  HttpServer,
  type HttpServerOptions,
  Lifecycle,
  Metrics,
  type Module,
} from "../src/index.js";
import { deferred, memoryLogger } from "./helpers.js";

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function startServer(
  options: Partial<HttpServerOptions> = {},
  extra: { metrics?: Metrics; lifecycle?: Lifecycle } = {},
) {
  const { logger } = memoryLogger();
  const server = new HttpServer(
    { port: 0, version: "1.2.3", ...options },
    { logger, metrics: extra.metrics, status: extra.lifecycle },
  );
  servers.push(server);
  await server.start();
  return server;
}

async function post(server: HttpServer, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url() + path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("HttpServer", () => {
  it("default", async () => {
    const server = await startServer();
    const res = await fetch(`${server.url()}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", version: "1.2.3", modules: {} });
    expect(typeof body["uptime"]).toBe("number");
  });

  it("behavior: /health says degraded with the reasons of running modules that cannot do their job", async () => {
    const { logger } = memoryLogger();
    let reasons: string[] = ["no p2p peers: set p2p.peers"];
    const operator: Module = { name: "operator", start() {}, stop() {}, problems: () => reasons };
    const lifecycle = new Lifecycle({}, { logger }).add(operator);
    await lifecycle.start();
    const server = await startServer({}, { lifecycle });
    const degraded = (await (await fetch(`${server.url()}/health`)).json()) as Record<string, unknown>;
    expect(degraded).toMatchObject({ status: "degraded", reasons: ["no p2p peers: set p2p.peers"] });
    reasons = [];
    const ok = (await (await fetch(`${server.url()}/health`)).json()) as Record<string, unknown>;
    expect(ok["status"]).toBe("ok");
    expect(ok).not.toHaveProperty("reasons");
    await lifecycle.stop();
  });

  it("error: a taken port fails start with one message naming the port and the flag", async () => {
    const first = await startServer();
    const { logger } = memoryLogger();
    const second = new HttpServer({ port: first.address().port, version: "1" }, { logger });
    const error = await second.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpgError);
    expect(error).toMatchObject({ code: "PORT_IN_USE" });
    expect((error as Error).message).toMatch(/HTTP port 127\.0\.0\.1:\d+ is already in use: .*--http\.port/);
  });

  it("behavior: /health and /ready reflect the modules of the lifecycle", async () => {
    const { logger } = memoryLogger();
    let inferenceReady = false;
    const inference: Module = {
      name: "inference",
      start() {},
      stop() {},
      ready: () => inferenceReady,
      health: () => ({ provider: "cpu" }),
    };
    const lifecycle = new Lifecycle({}, { logger }).add(inference);
    await lifecycle.start();
    const server = await startServer({}, { lifecycle });
    let res = await fetch(`${server.url()}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, notReady: ["inference"] });
    const health = (await (await fetch(`${server.url()}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "starting", modules: { inference: { provider: "cpu" } } });
    inferenceReady = true;
    res = await fetch(`${server.url()}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, notReady: [] });
    await lifecycle.stop();
  });

  it("behavior: /metrics serves the registry in text format, with request metrics", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const server = await startServer({}, { metrics });
    await fetch(`${server.url()}/health`);
    const res = await fetch(`${server.url()}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('opg_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(text).toContain("opg_http_request_duration_seconds_bucket");
  });

  it("behavior: mounted routes get params, query and the parsed body", async () => {
    const server = await startServer();
    server.route("POST", "/v1/models/:modelId/infer", (req) => ({
      params: req.params,
      tag: req.query.get("tag"),
      body: req.body,
    }));
    server.route("GET", "/v1/empty", () => undefined);
    const res = await post(server, "/v1/models/0xab%20cd/infer?tag=t", JSON.stringify({ x: [1, 2] }));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ params: { modelId: "0xab cd" }, tag: "t", body: { x: [1, 2] } });
    expect((await fetch(`${server.url()}/v1/empty`)).status).toBe(204);
    const reply = HttpReply.json({ created: true }, 201, { "x-opg": "1" });
    server.route("PUT", "/v1/thing", () => reply);
    const put = await fetch(`${server.url()}/v1/thing`, { method: "PUT" });
    expect(put.status).toBe(201);
    expect(put.headers.get("x-opg")).toBe("1");
  });

  it("error: unknown route is 404, wrong method is 405 with Allow", async () => {
    const server = await startServer();
    const missing = await fetch(`${server.url()}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    const wrong = await fetch(`${server.url()}/health`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });

  it("error: malformed JSON is 400 with a clear message", async () => {
    const server = await startServer();
    server.route("POST", "/echo", (req) => req.body);
    const res = await post(server, "/echo", '{"a": 1,');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: "BODY_INVALID", message: "Malformed JSON body" } });
    expect((res.json["error"] as { details: string }).details).toMatch(/JSON/);
    // The server keeps serving.
    expect((await post(server, "/echo", '{"a":1}')).json).toEqual({ a: 1 });
  });

  it("error: body over the cap is 413 (declared length and streamed)", async () => {
    const server = await startServer({ maxBodyBytes: 64 });
    server.route("POST", "/echo", (req) => req.body);
    const big = JSON.stringify({ data: "x".repeat(200) });
    const declared = await post(server, "/echo", big);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: { code: "BODY_TOO_LARGE" } });
    // Chunked (no Content-Length): the cap is enforced while streaming.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url()}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write(big.slice(0, 100));
      req.end(big.slice(100));
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ error: { code: "BODY_TOO_LARGE" } });
  });

  it("error: non-JSON content type is 415", async () => {
    const server = await startServer();
    server.route("POST", "/echo", (req) => req.body);
    const res = await post(server, "/echo", "a=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(415);
  });

  it("error: typed errors map to statuses", async () => {
    const server = await startServer();
    server.mapErrorCodes({ MODEL_NOT_FOUND: 404, DTYPE_MISMATCH: 400 });
    const errors: Record<string, unknown> = {
      notfound: new OpgError("MODEL_NOT_FOUND", "Model not found"),
      dtype: new OpgError("DTYPE_MISMATCH", "Wrong dtype", { details: "input x is float32" }),
      busy: new RetryableError("BUSY", "Busy"),
      invalid: new ValidationError("REJECT", "BAD_SIG", "Bad signature"),
      teapot: new HttpError(418, "BAD_REQUEST", "Teapot"),
      internal: new OpgError("SOMETHING_BROKE", "Something broke", { details: "secret internals" }),
      crash: new Error("raw crash with internals"),
    };
    server.route("GET", "/fail/:kind", (req) => {
      throw errors[req.params["kind"] as string];
    });
    const get = async (kind: string) => {
      const res = await fetch(`${server.url()}/fail/${kind}`);
      return {
        status: res.status,
        body: (await res.json()) as { error: Record<string, unknown> },
        headers: res.headers,
      };
    };
    expect((await get("notfound")).status).toBe(404);
    const dtype = await get("dtype");
    expect(dtype.status).toBe(400);
    expect(dtype.body.error).toEqual({
      code: "DTYPE_MISMATCH",
      message: "Wrong dtype",
      details: "input x is float32",
      retryable: false,
    });
    const busy = await get("busy");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(busy.body.error["retryable"]).toBe(true);
    expect((await get("invalid")).status).toBe(400);
    expect((await get("teapot")).status).toBe(418);
    const internal = await get("internal");
    expect(internal.status).toBe(500);
    expect(internal.body.error["details"]).toBeUndefined();
    const crash = await get("crash");
    expect(crash.status).toBe(500);
    expect(crash.body.error).toEqual({ code: "INTERNAL", message: "Internal error", retryable: false });
  });

  it("error: a handler that runs past the timeout gets 503 and its signal aborts", async () => {
    const server = await startServer({ requestTimeoutMs: 50 });
    const aborted = deferred<unknown>();
    server.route("GET", "/slow", (req) => {
      req.signal.addEventListener("abort", () => aborted.resolve(req.signal.reason));
      return new Promise(() => {});
    });
    const res = await fetch(`${server.url()}/slow`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "REQUEST_TIMEOUT" } });
    expect(await aborted.promise).toBeInstanceOf(HttpError);
  });

  it("behavior: stop waits for in-flight requests, then closes", async () => {
    const server = await startServer();
    const release = deferred();
    const entered = deferred();
    server.route("GET", "/hold", async () => {
      entered.resolve();
      await release.promise;
      return { done: true };
    });
    const pending = fetch(`${server.url()}/hold`);
    await entered.promise;
    const stopping = server.stop();
    release.resolve();
    const res = await pending;
    expect(await res.json()).toEqual({ done: true });
    await stopping;
    expect(server.ready()).toBe(false);
  });

  it("behavior: stop closes connections of requests that outlive closeTimeoutMs", async () => {
    const server = await startServer({ closeTimeoutMs: 20 });
    const entered = deferred();
    const aborted = deferred();
    server.route("GET", "/hang", (req) => {
      entered.resolve();
      req.signal.addEventListener("abort", () => aborted.resolve());
      return new Promise(() => {});
    });
    const pending = fetch(`${server.url()}/hang`).then(
      () => "answered",
      () => "closed",
    );
    await entered.promise;
    await server.stop();
    await aborted.promise;
    expect(await pending).toBe("closed");
  });

  it("error: invalid route patterns", () => {
    const { logger } = memoryLogger();
    const server = new HttpServer({}, { logger });
    expect(() => server.route("GET", "nope", () => 1)).toThrow(TypeError);
    expect(() => server.route("GET", "/a/:x/:x", () => 1)).toThrow(TypeError);
  });
});
