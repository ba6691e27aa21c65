import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Ports handed out are drawn below the kernel's ephemeral range: a port the OS picked (port 0)
 * can be given again to any other socket, e.g. an outgoing connection or a libp2p listener of a
 * test running in parallel, between the moment it was free and the moment the daemon binds it.
 * Ports outside that range are only ever taken by another caller drawing at random too.
 */
const RANGE_START = 20_000;

function ephemeralStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > RANGE_START + 1000 ? n : 32_768;
  } catch {
    return 32_768;
  }
}

const RANGE_END = ephemeralStart();
const handedOut = new Set<number>();

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: a random one below the OS's ephemeral port
 * range, never the same twice in this process (the OS picks one if none of the tries is free).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = RANGE_START + Math.floor(Math.random() * (RANGE_END - RANGE_START));
    if (handedOut.has(port)) continue;
    if ((await tryListen(port)) === port) {
      handedOut.add(port);
      return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error("No free TCP port on 127.0.0.1.");
  return port;
}
