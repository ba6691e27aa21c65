import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { peerIdFromString } from "@libp2p/peer-id";
import { catalogEntries, configKeys, loadConfig, Metrics } from "@opg/daemon";
import { execMetricsCatalog, execNodeConfig } from "@opg/exec-node";
import { verifyMetricsCatalog, verifyNodeConfig } from "@opg/verify-node";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { peerKeySeed } from "../../../docker/deployer/peerKeys.mjs";
import { composeCommand } from "../src/ComposeDevnet.js";
import { Devnet, type DevnetNode } from "../src/Devnet.js";
import {
  DEVNET,
  DEVNET_DAEMON_KEYS,
  DEVNET_EXECUTOR_KEYS,
  DEVNET_VERIFIER_KEYS,
  serviceNames,
} from "../src/topology.js";

/**
 * docker/compose.yml runs the native devnet's topology (topology.ts, Devnet.ts) in containers:
 * these tests read the compose files, the Dockerfiles, the Prometheus and Grafana files, and check
 * them against the native devnet without a Docker engine.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** The native devnet's folder in `nativeArgs`; compose's volume (`/data`) stands for it. */
const NATIVE_DIR = "/devnet";
const DOCKER = join(ROOT, "docker");

type Env = Record<string, string>;
type Service = {
  build?: { context?: string; dockerfile?: string };
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: string[];
  healthcheck?: { test?: string[] | string };
  profiles?: string[];
  deploy?: { resources?: { reservations?: { devices?: { driver?: string; capabilities?: string[] }[] } } };
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

function readYaml<T>(file: string): T {
  // Compose files use YAML merge keys (`<<: *anchor`), as Docker Compose resolves them.
  return parse(readFileSync(join(DOCKER, file), "utf8"), { merge: true }) as T;
}

const compose = readYaml<Compose>("compose.yml");
const gpu = readYaml<Compose>("compose.gpu.yml");
const services = compose.services;
const MONITORING = ["prometheus", "grafana"];

type Daemon = {
  name: string;
  kind: DevnetNode["kind"];
  index: number;
  httpPort: number;
  p2pPort: number;
};

/** The daemons of the topology with their fixed ports (what `Devnet` uses with `ports: "fixed"`). */
const daemons: Daemon[] = serviceNames().flatMap((name) => {
  const m = /^(exec|verify)-(\d+)$/.exec(name);
  if (!m) return [];
  const index = Number(m[2]);
  const exec = m[1] === "exec";
  return [
    {
      name,
      kind: exec ? "exec-node" : "verify-node",
      index,
      httpPort: (exec ? DEVNET.execHttpBase : DEVNET.verifyHttpBase) + index,
      p2pPort: (exec ? DEVNET.execP2pBase : DEVNET.verifyP2pBase) + index,
    },
  ];
});

/** A daemon's command in the images: `node <its package's bin>` under /app. */
function daemonCli(d: Daemon): string {
  const bin = JSON.parse(readFileSync(join(ROOT, "packages", d.kind, "package.json"), "utf8")).bin as Record<
    string,
    string
  >;
  return join("/app/packages", d.kind, Object.values(bin)[0] as string);
}

function schemaOf(d: Daemon) {
  return d.kind === "exec-node" ? execNodeConfig : verifyNodeConfig;
}

function serviceOf(name: string): Service {
  const service = services[name];
  if (!service) throw new Error(`docker/compose.yml has no service ${name}`);
  return service;
}

function envOf(name: string): Env {
  return Object.fromEntries(
    Object.entries(serviceOf(name).environment ?? {}).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}

/** `"8645:8645"` → [host, container]; ports are published one to one. */
function portsOf(service: Service): [number, number][] {
  return (service.ports ?? []).map((p) => {
    const m = /^(?:[\d.]+:)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(p));
    if (!m) throw new Error(`unexpected port mapping ${p}`);
    return [Number(m[1]), Number(m[2])];
  });
}

function expectedPorts(name: string): number[] {
  if (name === "chain") return [DEVNET.chainPort];
  const d = daemons.find((x) => x.name === name);
  return d ? [d.httpPort, d.p2pPort] : [];
}

/** The native devnet's `start` command line of a daemon (Devnet.args). */
function nativeArgs(d: Daemon): string[] {
  const node = (x: Daemon) =>
    ({
      name: x.name,
      kind: x.kind,
      dir: `${NATIVE_DIR}/${x.name}`,
      key: "0x01",
      httpUrl: `http://127.0.0.1:${x.httpPort}`,
      p2pPort: x.p2pPort,
      p2pAddress: `/ip4/127.0.0.1/tcp/${x.p2pPort}/p2p/12D3KooW${x.name}`,
    }) as unknown as DevnetNode;
  const all = daemons.map(node);
  const self = all[daemons.indexOf(d)] as DevnetNode;
  const devnet = {
    rpcUrl: `http://127.0.0.1:${DEVNET.chainPort}`,
    options: { dir: NATIVE_DIR },
    devRootDir: `${NATIVE_DIR}/nitro-dev-root`,
    logDir: `${NATIVE_DIR}/logs`,
  };
  return Devnet.prototype.args.call(devnet as unknown as Devnet, self, all, []);
}

/** Config key paths set by flags after `start`, with their values (arrays as lists). */
function nativeFlags(d: Daemon): Map<string, string[]> {
  const byFlag = new Map(configKeys(schemaOf(d)).map((k) => [k.flag, k.path]));
  const args = nativeArgs(d);
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const arg of args.slice(args.indexOf("start") + 1)) {
    if (arg.startsWith("--")) {
      current = byFlag.get(arg);
      if (current === undefined) throw new Error(`native flag ${arg} is no config key`);
      out.set(current, []);
    } else if (current !== undefined) {
      out.get(current)?.push(arg);
    }
  }
  return out;
}

/** The config key paths a service sets through OPG_* variables (unknown variables fail). */
function composeKeys(d: Daemon): Map<string, string> {
  const byEnv = new Map(configKeys(schemaOf(d)).map((k) => [k.env, k.path]));
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(envOf(d.name))) {
    if (!name.startsWith("OPG_")) continue;
    const path = byEnv.get(name);
    expect(path, `${d.name}: ${name} is no config key of ${d.kind}`).toBeDefined();
    if (path) out.set(path, value);
  }
  return out;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The raw Ed25519 public key of a 32-byte seed (RFC 8032), with node:crypto. */
function ed25519PublicKey(seed: Uint8Array): Buffer {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" })).export({
    format: "der",
    type: "spki",
  });
  return spki.subarray(spki.length - 32);
}

type Instruction = { keyword: string; args: string };

/** A Dockerfile's instructions: comments dropped, continuation lines joined. */
function dockerInstructions(file: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    pending += `${line.replace(/\\$/, "")} `;
    if (line.endsWith("\\")) continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(pending.trim());
    if (!m) throw new Error(`${file}: cannot read "${pending.trim()}"`);
    out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() });
    pending = "";
  }
  if (pending !== "") throw new Error(`${file}: dangling line continuation`);
  return out;
}

const DOCKERFILE_KEYWORDS = new Set([
  "FROM",
  "RUN",
  "CMD",
  "LABEL",
  "EXPOSE",
  "ENV",
  "ADD",
  "COPY",
  "ENTRYPOINT",
  "VOLUME",
  "USER",
  "WORKDIR",
  "ARG",
  "ONBUILD",
  "STOPSIGNAL",
  "HEALTHCHECK",
  "SHELL",
]);

/** Every Dockerfile a compose file builds, and the daemons' own images, relative to the repository root. */
function dockerfiles(): string[] {
  const files = new Set<string>(["docker/exec-cpu.Dockerfile", "docker/verify.Dockerfile"]);
  for (const doc of [compose, gpu]) {
    for (const [name, service] of Object.entries(doc.services)) {
      if (!service.build) continue;
      expect(resolve(DOCKER, service.build.context ?? "."), `${name}: build context`).toBe(ROOT);
      expect(service.build.dockerfile, `${name}: build.dockerfile`).toBeDefined();
      files.add(service.build.dockerfile as string);
    }
  }
  return [...files].sort();
}

/** `.dockerignore` patterns (simple ones: `a/b`, `**\/name`, `*.ext`) as a matcher. */
function ignoreMatcher(file: string): (path: string) => boolean {
  const patterns = readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const glob = (part: string) => part.replace(/[.+^${}()|[\]]/g, "\\$&").replace(/\*/g, "[^/]*");
  const regexes = patterns.map((p) => new RegExp(`^${p.split("**/").map(glob).join("(?:.*/)?")}(?:/.*)?$`));
  return (path) => regexes.some((r) => r.test(path));
}

/** Metric names the daemons export, from their catalogs (what docs/metrics.md lists too). */
function catalogMetrics(): { names: Set<string>; histograms: Set<string> } {
  const entries = [...catalogEntries(execMetricsCatalog), ...catalogEntries(verifyMetricsCatalog)];
  return {
    names: new Set(entries.map((e) => e.name)),
    histograms: new Set(entries.filter((e) => e.type === "histogram").map((e) => e.name)),
  };
}

describe("docker/compose.yml", () => {
  it("default: runs the native devnet's services, plus prometheus and grafana", () => {
    const names = Object.keys(services);
    expect(names.filter((n) => !MONITORING.includes(n)).sort()).toEqual([...serviceNames()].sort());
    for (const name of MONITORING) expect(names).toContain(name);
  });

  it("behavior: publishes the topology's ports, one to one, and nothing else of the devnet's", () => {
    for (const name of serviceNames()) {
      const ports = portsOf(serviceOf(name));
      for (const [host, container] of ports) expect(host, `${name}: ${host}:${container}`).toBe(container);
      expect(ports.map(([, c]) => c).sort(), `${name}: published ports`).toEqual(expectedPorts(name).sort());
    }
    const devnetPorts = new Set(serviceNames().flatMap(expectedPorts));
    for (const name of MONITORING) {
      for (const [host] of portsOf(serviceOf(name)))
        expect(devnetPorts.has(host), `${name}: ${host}`).toBe(false);
    }
  });

  it("behavior: every daemon runs the native devnet's command, `start` on its own data dir", () => {
    for (const d of daemons) {
      const native = nativeArgs(d);
      expect(native.slice(0, 3)).toEqual(["--data-dir", `${NATIVE_DIR}/${d.name}`, "start"]);
      expect(serviceOf(d.name).command, d.name).toEqual(["--data-dir", `/data/${d.name}`, "start"]);
    }
  });

  it("behavior: every daemon gets the native devnet's config keys, as OPG_* variables", () => {
    for (const d of daemons) {
      const extra = d.kind === "verify-node" ? DEVNET_VERIFIER_KEYS : DEVNET_EXECUTOR_KEYS;
      const expected = [...DEVNET_DAEMON_KEYS, ...extra].sort();
      // topology.ts says what Devnet.args passes as flags …
      expect([...nativeFlags(d).keys()].sort(), `${d.name}: Devnet.args`).toEqual(expected);
      // … and compose passes the same keys as environment variables.
      expect([...composeKeys(d).keys()].sort(), `${d.name}: OPG_* keys`).toEqual(expected);
    }
  });

  it("behavior: the daemons' values are the native ones, with container addresses and volume paths", () => {
    const addressKeys = new Set([
      "http.host",
      "http.port",
      "chain.rpcUrl",
      "p2p.listen",
      "p2p.peers",
      "delivery.verifierUrls",
    ]);
    for (const d of daemons) {
      const env = composeKeys(d);
      for (const [key, values] of nativeFlags(d)) {
        if (addressKeys.has(key)) continue;
        // Paths in the native devnet's folder are the same paths on the shared volume.
        const value = values.map((v) =>
          v.startsWith(`${NATIVE_DIR}/`) ? `/data${v.slice(NATIVE_DIR.length)}` : v,
        );
        expect(env.get(key), `${d.name}: ${key}`).toBe(value.join(","));
      }
      expect(env.get("http.host")).toBe("0.0.0.0");
      expect(env.get("http.port")).toBe(String(d.httpPort));
      expect(list(env.get("p2p.listen"))).toEqual([`/ip4/0.0.0.0/tcp/${d.p2pPort}`]);
      expect(env.get("chain.rpcUrl")).toBe(`http://chain:${DEVNET.chainPort}`);
      if (d.kind === "exec-node") {
        // Every verifier's API, by service name, in the native order.
        const verifiers = daemons.filter((v) => v.kind === "verify-node");
        expect(list(env.get("delivery.verifierUrls"))).toEqual(
          verifiers.map((v) => `http://${v.name}:${v.httpPort}`),
        );
      }
    }
  });

  it("behavior: every daemon's environment is a valid configuration of its daemon", () => {
    for (const d of daemons) {
      const { config, warnings } = loadConfig(schemaOf(d), {
        env: envOf(d.name),
        flags: { dataDir: `/data/${d.name}` },
      });
      expect(warnings, d.name).toEqual([]);
      expect(config.http.port).toBe(d.httpPort);
      expect(config.chain.chainId).toBe(DEVNET.chainId);
    }
  });

  it("behavior: every daemon dials every other one by service name, p2p port and peer id", () => {
    for (const d of daemons) {
      const peers = list(envOf(d.name)["OPG_P2P_PEERS"]);
      for (const other of daemons) {
        if (other === d) continue;
        const prefix = `/dns4/${other.name}/tcp/${other.p2pPort}/p2p/`;
        const addr = peers.find((p) => p.startsWith(prefix));
        expect(addr, `${d.name} → ${other.name}`).toBeDefined();
        // The deployer writes the key derived from the service name into its data dir.
        const peerId = peerIdFromString((addr as string).slice(prefix.length));
        expect(Buffer.from(peerId.publicKey?.raw ?? []).toString("hex"), `${other.name}: peer id`).toBe(
          ed25519PublicKey(peerKeySeed(other.name)).toString("hex"),
        );
      }
      for (const p of peers)
        expect(p, `${d.name}: ${p}`).toMatch(/^\/dns4\/(exec|verify)-\d+\/tcp\/\d+\/p2p\/\w+$/);
    }
  });

  it("behavior: the chain mines like the native devnet's and the deployer targets it", () => {
    expect(envOf("chain")["CHAIN_BLOCK_TIME_MS"]).toBe(String(DEVNET.blockTimeMs));
    expect(envOf("chain")["CHAIN_PORT"]).toBe(String(DEVNET.chainPort));
    expect(envOf("deployer")["DEVNET_RPC_URL"]).toBe(`http://chain:${DEVNET.chainPort}`);
  });

  it("behavior: every depends_on names a service; daemons wait for the chain and the deployer", () => {
    for (const [name, service] of Object.entries(services)) {
      const deps = service.depends_on ?? [];
      const entries = Array.isArray(deps) ? deps.map((n) => [n, {}] as const) : Object.entries(deps);
      for (const [dep, { condition }] of entries as [string, { condition?: string }][]) {
        expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
        if (condition === undefined) continue;
        expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(condition);
        if (condition === "service_healthy")
          expect(serviceOf(dep).healthcheck, `${dep}: healthcheck`).toBeDefined();
      }
    }
    for (const d of daemons) {
      expect(serviceOf(d.name).depends_on).toMatchObject({
        chain: { condition: "service_healthy" },
        deployer: { condition: "service_completed_successfully" },
      });
    }
  });

  it("behavior: the deployer and the daemons share the data volume", () => {
    for (const name of ["deployer", ...daemons.map((d) => d.name)]) {
      expect(serviceOf(name).volumes, name).toContain("devnet-data:/data");
    }
    expect(Object.keys(compose.volumes ?? {})).toContain("devnet-data");
  });

  it("behavior: every build names a Dockerfile that exists, is well formed and runs the right daemon", () => {
    const files = dockerfiles();
    expect(files).toEqual(
      ["docker/exec-cpu.Dockerfile", "docker/exec-cuda.Dockerfile", "docker/verify.Dockerfile"].sort(),
    );
    for (const file of files) {
      const path = join(ROOT, file);
      expect(existsSync(path), file).toBe(true);
      const instructions = dockerInstructions(path);
      for (const i of instructions)
        expect(DOCKERFILE_KEYWORDS.has(i.keyword), `${file}: ${i.keyword}`).toBe(true);
      const first = instructions.find((i) => i.keyword !== "ARG");
      expect(first?.keyword, `${file}: first instruction`).toBe("FROM");
      const stages: string[] = [];
      for (const i of instructions) {
        if (i.keyword === "FROM") {
          const stage = /\bAS\s+(\S+)$/i.exec(i.args)?.[1];
          if (stage) {
            expect(stages, `${file}: stage ${stage} twice`).not.toContain(stage);
            stages.push(stage);
          }
          const base = i.args.split(/\s+/).find((a) => !a.startsWith("--")) as string;
          if (!base.includes(":") && !base.includes("/"))
            expect(stages, `${file}: FROM ${base}`).toContain(base);
        }
        const from = /--from=(\S+)/.exec(i.args)?.[1];
        if ((i.keyword === "COPY" || i.keyword === "RUN") && from && !from.includes(":")) {
          expect(stages, `${file}: --from=${from}`).toContain(from);
        }
      }
      // Nothing is pulled but the base image (docker/base-image makes it without a registry), and
      // no BuildKit-only syntax: Compose v1 builds with the classic builder.
      expect(readFileSync(path, "utf8"), `${file}: # syntax`).not.toMatch(/^#\s*syntax=/m);
      for (const i of instructions) {
        if (i.keyword !== "FROM") continue;
        const base = i.args.split(/\s+/).find((a) => !a.startsWith("--")) as string;
        if (stages.includes(base)) continue;
        if (file === "docker/exec-cuda.Dockerfile" && base.startsWith("nvidia/cuda:")) continue;
        expect(base, `${file}: FROM`).toBe("node:24-bookworm-slim");
      }
      for (const i of instructions) expect(i.args, `${file}: ${i.keyword}`).not.toMatch(/--mount=/);
      // The runtime stage runs its command (--help), so an image that cannot start does not build.
      const runtime = instructions.slice(instructions.findLastIndex((i) => i.keyword === "FROM"));
      expect(
        runtime.some((i) => i.keyword === "RUN" && /--help\b/.test(i.args)),
        `${file}: runs its command with --help`,
      ).toBe(true);
      // What COPY takes from the build context exists and is not ignored.
      const ignored = ignoreMatcher(join(ROOT, ".dockerignore"));
      for (const i of instructions) {
        if (i.keyword !== "COPY" || i.args.includes("--from=")) continue;
        const parts = i.args.split(/\s+/).filter((a) => !a.startsWith("--"));
        for (const src of parts.slice(0, -1)) {
          expect(existsSync(join(ROOT, src)), `${file}: COPY ${src}`).toBe(true);
          expect(ignored(src), `${file}: COPY ${src} is ignored`).toBe(false);
        }
      }
      for (const host of [
        "node_modules",
        "packages/p2p/node_modules",
        "packages/p2p/dist",
        "tsconfig.tsbuildinfo",
      ]) {
        expect(ignored(host), `.dockerignore: ${host}`).toBe(true);
      }
    }
    for (const d of daemons) {
      const file = d.kind === "exec-node" ? "docker/exec-cpu.Dockerfile" : "docker/verify.Dockerfile";
      const entrypoint = dockerInstructions(join(ROOT, file)).findLast((i) => i.keyword === "ENTRYPOINT");
      expect(JSON.parse(entrypoint?.args ?? "[]"), `${file}: ENTRYPOINT`).toEqual(["node", daemonCli(d)]);
    }
  });

  it("behavior: every devnet service runs the one devnet image, with its own command as entrypoint", () => {
    for (const name of serviceNames()) {
      const service = serviceOf(name);
      expect(service.image, name).toBe("opg-devnet:local");
      expect(service.build, `${name}: built by docker/devnet-image, not by compose`).toBeUndefined();
      const d = daemons.find((x) => x.name === name);
      if (d) expect(service.entrypoint, name).toEqual(["node", daemonCli(d)]);
    }
    expect(serviceOf("chain").entrypoint).toEqual(["node", "/app/docker/chain/entrypoint.mjs"]);
    expect(serviceOf("deployer").entrypoint).toEqual(["node", "/app/docker/deployer/deploy.mjs"]);
    // Scripts the services and the compose healthchecks run from /app/docker exist.
    for (const m of readFileSync(join(DOCKER, "compose.yml"), "utf8").matchAll(
      /\/app\/(docker\/[\w./-]+\.mjs)/g,
    )) {
      expect(existsSync(join(ROOT, m[1] as string)), `compose.yml: ${m[1]}`).toBe(true);
    }
    // docker/devnet-image makes that image (as `opg-devnet:local`, from the base image every
    // Dockerfile starts from) and runs every service's command in it with --help.
    const script = readFileSync(join(DOCKER, "devnet-image"), "utf8");
    expect(statSync(join(DOCKER, "devnet-image")).mode & 0o111, "devnet-image is executable").not.toBe(0);
    expect(script).toMatch(/^IMAGE="\$\{OPG_DEVNET_IMAGE:-opg-devnet\}"$/m);
    expect(script).toContain('"$IMAGE:local"');
    expect(script).toMatch(/^BASE="\$\{OPG_BASE_IMAGE:-node:24-bookworm-slim\}"$/m);
    for (const command of [
      "packages/exec-node/dist/cli.js",
      "packages/verify-node/dist/cli.js",
      "docker/deployer/deploy.mjs",
      "docker/chain/entrypoint.mjs",
    ])
      expect(script, `devnet-image checks ${command}`).toContain(`node ${command} --help`);
  });

  it("behavior: the GPU override runs both executors on the CUDA image with an NVIDIA device", () => {
    const execs = daemons.filter((d) => d.kind === "exec-node").map((d) => d.name);
    expect(Object.keys(gpu.services).sort()).toEqual(execs.sort());
    for (const name of execs) {
      const service = gpu.services[name] as Service;
      expect(service.build?.dockerfile).toBe("docker/exec-cuda.Dockerfile");
      expect(service.image).not.toBe(serviceOf(name).image);
      const devices = service.deploy?.resources?.reservations?.devices ?? [];
      expect(devices).toContainEqual(expect.objectContaining({ driver: "nvidia", capabilities: ["gpu"] }));
    }
  });

  it("behavior: the bind mounts of prometheus and grafana exist", () => {
    for (const name of MONITORING) {
      for (const volume of serviceOf(name).volumes ?? []) {
        const source = volume.split(":")[0] as string;
        if (!source.startsWith(".")) continue;
        expect(existsSync(resolve(DOCKER, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it("behavior: Compose v1 can read it (no top-level name; the project name is in docker/.env)", () => {
    expect(Object.keys(compose)).not.toContain("name");
    expect(readFileSync(join(DOCKER, ".env"), "utf8")).toMatch(/^COMPOSE_PROJECT_NAME=opg-devnet$/m);
  });

  it("behavior: ports are published on the host's loopback only", () => {
    for (const [name, service] of Object.entries(services))
      for (const p of service.ports ?? []) expect(String(p), `${name}: ${p}`).toMatch(/^127\.0\.0\.1:/);
  });

  it("behavior: prometheus and grafana are behind the monitoring profile, the devnet behind none", () => {
    for (const [name, service] of Object.entries(services))
      expect(service.profiles, name).toEqual(MONITORING.includes(name) ? ["monitoring"] : undefined);
  });

  it.skipIf(composeCommand() === undefined)(
    "behavior: docker compose accepts the files (when Compose is installed, v1 or v2)",
    () => {
      const [cmd, ...args] = composeCommand() as string[];
      for (const extra of [[], ["--profile", "monitoring"]]) {
        const result = spawnSync(
          cmd as string,
          [
            ...args,
            "-f",
            "docker/compose.yml",
            "-f",
            "docker/compose.gpu.yml",
            ...extra,
            "config",
            "--quiet",
          ],
          { cwd: ROOT, encoding: "utf8" },
        );
        expect(result.status, result.stderr).toBe(0);
      }
    },
    // Compose v1 (Python) takes seconds to start on a loaded machine.
    60_000,
  );
});

describe("docker/prometheus/prometheus.yml", () => {
  it("default: scrapes every daemon's /metrics on its HTTP port, labelled with its service", () => {
    type Scrape = {
      job_name: string;
      metrics_path?: string;
      static_configs: { targets: string[]; labels?: Record<string, string> }[];
    };
    const config = readYaml<{ scrape_configs: Scrape[] }>("prometheus/prometheus.yml");
    const targets = new Map<string, string | undefined>();
    for (const job of config.scrape_configs) {
      expect(job.metrics_path ?? "/metrics").toBe("/metrics");
      for (const sc of job.static_configs) for (const t of sc.targets) targets.set(t, sc.labels?.["service"]);
    }
    expect([...targets.keys()].sort()).toEqual(daemons.map((d) => `${d.name}:${d.httpPort}`).sort());
    for (const [target, service] of targets) expect(target.startsWith(`${service}:`), target).toBe(true);
  });
});

describe("docker/grafana", () => {
  it("default: the dashboard parses and uses only metrics the daemons export", async () => {
    type Panel = { type: string; datasource?: { uid?: string }; targets?: { expr: string }[] };
    const dashboard = JSON.parse(readFileSync(join(DOCKER, "grafana", "dashboards", "opg.json"), "utf8")) as {
      uid: string;
      panels: Panel[];
    };
    const datasources = readYaml<{ datasources: { uid: string; url: string }[] }>(
      "grafana/provisioning/datasources/prometheus.yml",
    ).datasources;
    const uids = datasources.map((d) => d.uid);
    expect(datasources.map((d) => d.url)).toContain("http://prometheus:9090");

    const { names, histograms } = catalogMetrics();
    // prom-client's process and Node.js metrics, with the daemons' prefix.
    for (const m of await new Metrics().registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === "histogram") histograms.add(m.name);
    }
    const known = (metric: string): boolean => {
      if (names.has(metric)) return true;
      const base = metric.replace(/_(bucket|sum|count)$/, "");
      return base !== metric && (histograms.has(base) || names.has(base));
    };

    const used = new Set<string>();
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(uids, "panel datasource").toContain(panel.datasource?.uid);
      expect(panel.targets?.length ?? 0).toBeGreaterThan(0);
      for (const t of panel.targets ?? [])
        for (const m of t.expr.matchAll(/\bopg_[a-z0-9_]+/g)) used.add(m[0]);
    }
    const unknown = [...used].filter((m) => !known(m));
    expect(unknown, "metrics no daemon's catalog holds").toEqual([]);
    for (const m of [
      "opg_verify_validation_steps_total",
      "opg_verify_batches_settled_total",
      "opg_verify_last_settled_batch",
      "opg_exec_requests_total",
      "opg_exec_sign_publish_duration_seconds_bucket",
      "opg_inference_run_duration_seconds_bucket",
      "opg_inference_queue_depth",
      "opg_p2p_messages_total",
      "opg_http_requests_total",
    ]) {
      expect(used, m).toContain(m);
    }
  });
});
