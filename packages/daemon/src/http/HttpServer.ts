import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { OpgError } from "@opg/protocol";
import type { Logger } from "pino";
import { HttpError } from "../errors.js";
import type { Module, StatusSource } from "../lifecycle/Module.js";
import type { Metrics } from "../metrics/Metrics.js";
import type { MetricsOf } from "../metrics/metricCatalog.js";
import { errorResponse } from "./errorResponse.js";
import { httpMetricDefs } from "./httpMetrics.js";
import { compileRoute, matchRoute, type RoutePattern } from "./matchRoute.js";
import { readJsonBody } from "./readJsonBody.js";

export type HttpServerOptions = {
  host: string;
  /** 0 picks a free port (see `address()`). */
  port: number;
  /** Largest accepted JSON body; larger ones get 413. */
  maxBodyBytes: number;
  /** Time to receive a request and produce its answer; then 503 `REQUEST_TIMEOUT` and the handler's signal aborts. */
  requestTimeoutMs: number;
  /** On stop, time given to in-flight requests before their connections are closed. */
  closeTimeoutMs: number;
  /** Daemon version reported by `/health`. */
  version: string;
  /**
   * Origins whose pages may call this API from a browser (CORS), e.g. an explorer page served by
   * another daemon; `*` allows any. Empty: no CORS headers (browsers refuse cross-origin reads).
   */
  corsOrigins: readonly string[];
};

export const defaultHttpServerOptions: HttpServerOptions = {
  host: "127.0.0.1",
  port: 9090,
  maxBodyBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  closeTimeoutMs: 5_000,
  version: "0.0.0",
  corsOrigins: [],
};

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type HttpRequest = {
  method: HttpMethod;
  path: string;
  /** Values of `:param` segments, URI-decoded. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (`undefined` when empty); always `undefined` for GET. */
  body: unknown;
  /** Aborts on request timeout, client disconnect and server stop. */
  signal: AbortSignal;
  raw: IncomingMessage;
};

/** An explicit answer; a handler may also return a plain value (200 JSON) or `undefined` (204). */
export class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  static json(body: unknown, status = 200, headers: Record<string, string> = {}): HttpReply {
    return new HttpReply(status, body, headers);
  }

  /** A non-JSON body (string or bytes) with its content type. */
  static raw(body: string | Uint8Array, contentType: string, status = 200): HttpReply {
    return new HttpReply(status, new RawBody(body), { "content-type": contentType });
  }
}

class RawBody {
  constructor(readonly data: string | Uint8Array) {}
}

export type RouteHandler = (req: HttpRequest) => unknown;

export type HttpServerDeps = {
  logger: Logger;
  /** Serves `/metrics` and records request metrics when present. */
  metrics?: Metrics | undefined;
  /** Serves `/health` and `/ready` (usually the `Lifecycle`). */
  status?: StatusSource | undefined;
};

type Route = { method: HttpMethod; route: RoutePattern; handler: RouteHandler };

const BODY_METHODS = new Set<string>(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * One small node:http server per daemon: `/health`, `/ready`, `/metrics`, and routes mounted by
 * other modules. JSON in and out, bodies capped, errors mapped to statuses, requests timed out.
 */
export class HttpServer implements Module {
  readonly name = "http";
  readonly options: HttpServerOptions;
  private readonly logger: Logger;
  private readonly deps: HttpServerDeps;
  private readonly routes: Route[] = [];
  private readonly statusByCode = new Map<string, number>();
  private readonly inFlight = new Set<AbortController>();
  private server: Server | undefined;
  private listening = false;
  private readonly startedAt = Date.now();
  private readonly httpMetrics: MetricsOf<typeof httpMetricDefs> | null;

  constructor(options: Partial<HttpServerOptions>, deps: HttpServerDeps) {
    this.options = { ...defaultHttpServerOptions, ...options };
    this.deps = deps;
    this.logger = deps.logger.child({ module: "http" });
    this.httpMetrics = deps.metrics?.register(httpMetricDefs) ?? null;
    this.route("GET", "/health", () => this.healthBody());
    this.route("GET", "/ready", () => {
      const readiness = this.deps.status?.readiness() ?? { ready: this.listening, notReady: [] };
      return HttpReply.json(readiness, readiness.ready ? 200 : 503);
    });
    this.route("GET", "/metrics", async () => {
      if (!this.deps.metrics) throw new HttpError(404, "NOT_FOUND", "Metrics are disabled");
      return HttpReply.raw(await this.deps.metrics.text(), this.deps.metrics.contentType);
    });
  }

  /** Mounts a handler for `method` on `pattern` (`/v1/models/:modelId`). Later mounts of the same route replace earlier ones. */
  route(method: HttpMethod, pattern: string, handler: RouteHandler): this {
    const route = compileRoute(pattern);
    const existing = this.routes.findIndex((r) => r.method === method && r.route.pattern === pattern);
    if (existing >= 0) this.routes.splice(existing, 1);
    this.routes.push({ method, route, handler });
    return this;
  }

  /** Maps error codes thrown by handlers to HTTP statuses (e.g. `{MODEL_NOT_FOUND: 404}`). */
  mapErrorCodes(statusByCode: Readonly<Record<string, number>>): this {
    for (const [code, status] of Object.entries(statusByCode)) this.statusByCode.set(code, status);
    return this;
  }

  /** The bound address, once started. */
  address(): { host: string; port: number } {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error("HTTP server is not listening");
    return { host: address.address, port: address.port };
  }

  /** Base URL, once started (e.g. `http://127.0.0.1:9090`). */
  url(): string {
    const { host, port } = this.address();
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.requestTimeout = this.options.requestTimeoutMs;
    server.headersTimeout = Math.min(this.options.requestTimeoutMs, 60_000);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const where = `${this.options.host}:${this.options.port}`;
        reject(
          err.code === "EADDRINUSE"
            ? new OpgError(
                "PORT_IN_USE",
                `HTTP port ${where} is already in use: stop the process that holds it, or set another http.port (--http.port, OPG_HTTP_PORT).`,
                { cause: err },
              )
            : err.code === "EADDRNOTAVAIL" || err.code === "EACCES"
              ? new OpgError(
                  "PORT_UNAVAILABLE",
                  `Cannot listen on ${where} (${err.code}): set http.host to an address of this machine and http.port to a port above 1023.`,
                  { cause: err },
                )
              : err,
        );
      };
      server.once("error", onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.listening = true;
    this.logger.info({ url: this.url() }, "listening");
  }

  ready(): boolean {
    return this.listening;
  }

  health(): Record<string, unknown> {
    return { listening: this.listening, inFlight: this.inFlight.size };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn({ inFlight: this.inFlight.size }, "closing connections of unfinished requests");
      for (const controller of this.inFlight) controller.abort(new Error("server stopping"));
      server.closeAllConnections();
      await closed;
    }
    this.server = undefined;
  }

  private healthBody(): unknown {
    const readiness = this.deps.status?.readiness() ?? { ready: this.listening, notReady: [] };
    const reasons = this.deps.status?.problems?.() ?? [];
    return {
      status: !readiness.ready ? "starting" : reasons.length > 0 ? "degraded" : "ok",
      ...(reasons.length > 0 ? { reasons } : {}),
      version: this.options.version,
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      modules: this.deps.status?.health() ?? {},
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const begin = performance.now();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const method = (req.method ?? "GET").toUpperCase();
    let routeLabel = "unmatched";
    const timer = setTimeout(() => {
      controller.abort(new HttpError(503, "REQUEST_TIMEOUT", "Request timed out"));
      this.send(res, method, routeLabel, begin, this.fail(controller.signal.reason, method, routeLabel));
    }, this.options.requestTimeoutMs);
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error("client closed the connection"));
    };
    res.on("close", onClose);
    const cors = this.corsOrigin(req.headers.origin);
    if (cors !== undefined) {
      res.setHeader("access-control-allow-origin", cors);
      if (cors !== "*") res.setHeader("vary", "origin");
    }
    try {
      if (method === "OPTIONS" && cors !== undefined) {
        // CORS preflight (a JSON POST from another origin): no credentials are ever involved.
        res.writeHead(204, {
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": "content-type",
          "access-control-max-age": "600",
        });
        res.end();
        return;
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const match = this.find(method, url.pathname);
      if (match.kind === "none")
        throw new HttpError(404, "NOT_FOUND", `No route for ${url.pathname.slice(0, 200)}`);
      if (match.kind === "method") {
        throw new HttpError(405, "METHOD_NOT_ALLOWED", `Method ${method} not allowed`, {
          meta: { allow: match.allow.join(", ") },
        });
      }
      routeLabel = match.route.route.pattern;
      const body = BODY_METHODS.has(method) ? await readJsonBody(req, this.options.maxBodyBytes) : undefined;
      if (controller.signal.aborted) return;
      const result = await match.route.handler({
        method: method as HttpMethod,
        path: url.pathname,
        params: match.params,
        query: url.searchParams,
        headers: req.headers,
        body,
        signal: controller.signal,
        raw: req,
      });
      if (controller.signal.aborted) return;
      const reply =
        result instanceof HttpReply
          ? result
          : result === undefined
            ? new HttpReply(204, undefined)
            : HttpReply.json(result);
      this.send(res, method, routeLabel, begin, reply);
    } catch (error) {
      if (controller.signal.aborted && res.headersSent) return;
      this.send(res, method, routeLabel, begin, this.fail(error, method, routeLabel));
      if (error instanceof HttpError && error.code === "BODY_TOO_LARGE") {
        // Stop reading a body we will not use; the connection closes after the answer.
        res.on("finish", () => req.destroy());
      }
    } finally {
      clearTimeout(timer);
      res.off("close", onClose);
      this.inFlight.delete(controller);
    }
  }

  /** The `access-control-allow-origin` value for a request from `origin`, or undefined (none). */
  private corsOrigin(origin: string | undefined): string | undefined {
    const allowed = this.options.corsOrigins;
    if (allowed.includes("*")) return "*";
    return origin !== undefined && allowed.includes(origin) ? origin : undefined;
  }

  private fail(error: unknown, method: string, route: string): HttpReply {
    const answer = errorResponse(error, this.statusByCode);
    const headers = { ...answer.headers };
    if (error instanceof HttpError && error.status === 405) {
      const allow = error.meta?.["allow"];
      if (typeof allow === "string") headers["allow"] = allow;
    }
    if (answer.internal) this.logger.error({ err: error, method, route }, "request failed");
    else
      this.logger.debug(
        { code: answer.body.error.code, method, route, status: answer.status },
        "request refused",
      );
    return new HttpReply(answer.status, answer.body, headers);
  }

  private send(res: ServerResponse, method: string, route: string, begin: number, reply: HttpReply): void {
    if (res.headersSent || res.writableEnded) return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | Uint8Array | undefined;
    if (reply.body instanceof RawBody) {
      payload = reply.body.data;
    } else if (reply.body !== undefined && reply.status !== 204) {
      payload = JSON.stringify(reply.body, (_key, value: unknown) =>
        typeof value === "bigint" ? value.toString() : value,
      );
      headers["content-type"] ??= "application/json; charset=utf-8";
    }
    // While stopping, answered connections close instead of idling in keep-alive.
    if (reply.status === 413 || !this.listening) headers["connection"] = "close";
    if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
    res.writeHead(reply.status, headers);
    res.end(payload);
    this.httpMetrics?.requests.inc({ method, route, status: String(reply.status) });
    this.httpMetrics?.requestDuration.observe({ method, route }, (performance.now() - begin) / 1000);
  }

  private find(
    method: string,
    path: string,
  ):
    | { kind: "none" }
    | { kind: "method"; allow: string[] }
    | { kind: "ok"; route: Route; params: Record<string, string> } {
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchRoute(route.route, path);
      if (!params) continue;
      if (route.method === method) return { kind: "ok", route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: "method", allow } : { kind: "none" };
  }
}
