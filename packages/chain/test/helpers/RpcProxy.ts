import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** An EIP-1193 provider (Hardhat's in-process network). */
export type Eip1193 = { request(args: { method: string; params?: unknown }): Promise<unknown> };

/**
 * Serves an in-process EIP-1193 provider over HTTP JSON-RPC, and can go down and come back on the
 * same port without the chain losing state: an RPC outage on demand.
 */
export class RpcProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** Requests served (all methods), for assertions. */
  requests = 0;
  /** Methods to fail with HTTP 503 while set. */
  failing: ((method: string) => boolean) | undefined;

  constructor(private readonly provider: Eip1193) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Starts listening (first on a free port, later on the same one). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port and every open connection: clients get ECONNREFUSED / ECONNRESET. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const calls = Array.isArray(body) ? body : [body];
    if (this.failing && calls.some((c) => this.failing?.((c as { method: string }).method))) {
      res.writeHead(503, { "content-type": "text/plain" }).end("service unavailable");
      return;
    }
    const answers = await Promise.all(calls.map((c) => this.answer(c as JsonRpcCall)));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
  }

  private async answer(call: JsonRpcCall): Promise<unknown> {
    this.requests++;
    try {
      const result = await this.provider.request({ method: call.method, params: call.params ?? [] });
      return { jsonrpc: "2.0", id: call.id, result: result ?? null };
    } catch (e) {
      const error = e as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: call.id,
        error: {
          code: typeof error.code === "number" ? error.code : -32603,
          message: typeof error.message === "string" ? error.message : String(e),
          ...(error.data !== undefined && error.data !== null ? { data: error.data } : {}),
        },
      };
    }
  }
}

type JsonRpcCall = { id: number | string; method: string; params?: unknown };
