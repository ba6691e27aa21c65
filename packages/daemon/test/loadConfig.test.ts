import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { ConfigError, configKeys, loadConfig } from "../src/index.js";

const schema = z.object({
  logLevel: z.enum(["debug", "info", "warn"]).default("info"),
  p2p: z.object({
    listen: z.array(z.string()).default(["/ip4/0.0.0.0/tcp/9000"]),
    port: z.int().min(1).max(65535).default(9000),
    enableMdns: z.boolean().default(false),
  }),
  http: z.object({
    requestTimeoutMs: z.number().positive().default(30_000),
    host: z.string().default("127.0.0.1"),
  }),
  chain: z.object({ rpcUrl: z.string(), chainId: z.int() }).optional(),
  keystore: z.object({ password: z.string().optional() }),
});

function writeJson(value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "opg-config-"));
  const file = join(dir, "config.json");
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("configKeys", () => {
  it("default", () => {
    const keys = configKeys(schema);
    const listen = keys.find((k) => k.path === "p2p.listen");
    expect(listen).toMatchObject({
      env: "OPG_P2P_LISTEN",
      flag: "--p2p.listen",
      kind: "array",
      element: "string",
    });
    const timeout = keys.find((k) => k.path === "http.requestTimeoutMs");
    expect(timeout).toMatchObject({
      env: "OPG_HTTP_REQUEST_TIMEOUT_MS",
      flag: "--http.request-timeout-ms",
      kind: "number",
      defaultValue: 30_000,
    });
    expect(keys.find((k) => k.path === "chain.rpcUrl")).toMatchObject({ env: "OPG_CHAIN_RPC_URL" });
    expect(keys.find((k) => k.path === "keystore.password")?.secret).toBe(true);
  });

  it("args: envPrefix", () => {
    expect(configKeys(schema, { envPrefix: "X_" }).find((k) => k.path === "logLevel")?.env).toBe(
      "X_LOG_LEVEL",
    );
  });
});

describe("loadConfig", () => {
  it("default", () => {
    const { config, sources, warnings } = loadConfig(schema, { env: {} });
    expect(config).toEqual({
      logLevel: "info",
      p2p: { listen: ["/ip4/0.0.0.0/tcp/9000"], port: 9000, enableMdns: false },
      http: { requestTimeoutMs: 30_000, host: "127.0.0.1" },
      keystore: {},
    });
    expect(sources).toEqual({});
    expect(warnings).toEqual([]);
  });

  it("behavior: flags > env > file > defaults", () => {
    const file = writeJson({
      logLevel: "warn",
      p2p: { port: 1000, listen: ["/file"] },
      http: { host: "file" },
    });
    const { config, sources } = loadConfig(schema, {
      file,
      env: { OPG_P2P_PORT: "2000", OPG_HTTP_HOST: "env" },
      flags: { "p2p.port": "3000" },
    });
    expect(config.logLevel).toBe("warn");
    expect(config.p2p).toEqual({ listen: ["/file"], port: 3000, enableMdns: false });
    expect(config.http.host).toBe("env");
    expect(sources).toMatchObject({
      logLevel: "file",
      "p2p.listen": "file",
      "p2p.port": "flag",
      "http.host": "env",
    });
  });

  it("behavior: env values are coerced (arrays, numbers, booleans)", () => {
    const { config } = loadConfig(schema, {
      env: {
        OPG_P2P_LISTEN: "/ip4/1.2.3.4/tcp/1, /ip4/5.6.7.8/tcp/2,",
        OPG_P2P_PORT: " 9100 ",
        OPG_P2P_ENABLE_MDNS: "yes",
        OPG_CHAIN_RPC_URL: "http://rpc",
        OPG_CHAIN_CHAIN_ID: "31337",
      },
    });
    expect(config.p2p).toEqual({
      listen: ["/ip4/1.2.3.4/tcp/1", "/ip4/5.6.7.8/tcp/2"],
      port: 9100,
      enableMdns: true,
    });
    expect(config.chain).toEqual({ rpcUrl: "http://rpc", chainId: 31337 });
  });

  it("behavior: nested and kebab-case flags", () => {
    const { config } = loadConfig(schema, {
      env: {},
      flags: {
        p2p: { enableMdns: true, listen: "/one" },
        "http.request-timeout-ms": "5",
        logLevel: undefined,
      },
    });
    expect(config.p2p.enableMdns).toBe(true);
    expect(config.p2p.listen).toEqual(["/one"]);
    expect(config.http.requestTimeoutMs).toBe(5);
  });

  it("behavior: unknown OPG_ variables are warnings, not errors", () => {
    const { warnings } = loadConfig(schema, {
      env: { OPG_UNKNOWN_THING: "1", OPG_KEYSTORE_PASSWORD_FILE: "x" },
      ignoreEnv: ["OPG_KEYSTORE_PASSWORD_FILE"],
    });
    expect(warnings).toEqual([
      "environment variable OPG_UNKNOWN_THING matches no configuration key and is ignored",
    ]);
  });

  it("error: unknown key in the file names the key and suggests the right one", () => {
    const file = writeJson({ p2p: { lisen: ["/x"] }, bogus: 1 });
    const error = configError(() => loadConfig(schema, { file, env: {} }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.issues.map((i) => i.path)).toEqual(["p2p.lisen", "bogus"]);
    expect(error.issues[0]?.message).toContain('did you mean "p2p.listen"?');
    expect(error.message).toContain("p2p.lisen");
  });

  it("error: invalid values name the key, the env variable and the flag", () => {
    const error = configError(() =>
      loadConfig(schema, { env: { OPG_P2P_PORT: "abc", OPG_P2P_ENABLE_MDNS: "maybe" } }),
    );
    expect(error.issues).toHaveLength(2);
    expect(error.issues[0]).toMatchObject({
      path: "p2p.port",
      env: "OPG_P2P_PORT",
      flag: "--p2p.port",
      source: "env",
    });
    expect(error.issues[0]?.message).toBe('OPG_P2P_PORT="abc" is not a number');
    expect(error.details).toContain("with OPG_P2P_PORT or with --p2p.port");
    expect(error.issues[1]?.message).toContain("is not a boolean");
  });

  it("error: schema violations report the source", () => {
    const file = writeJson({ p2p: { port: 70000 } });
    const error = configError(() => loadConfig(schema, { file, env: { OPG_LOG_LEVEL: "loud" } }));
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(byPath["p2p.port"]?.message).toContain(`(from ${file})`);
    expect(byPath["p2p.port"]?.source).toBe("file");
    expect(byPath["logLevel"]?.message).toContain('(from OPG_LOG_LEVEL="loud")');
  });

  it("error: required key missing", () => {
    const error = configError(() => loadConfig(schema, { env: { OPG_CHAIN_RPC_URL: "http://rpc" } }));
    expect(error.issues[0]).toMatchObject({
      path: "chain.chainId",
      env: "OPG_CHAIN_CHAIN_ID",
      message: "required but not set",
    });
  });

  it("error: secrets are never echoed", () => {
    const secretSchema = z.object({ keystore: z.object({ password: z.string().min(8) }) });
    const error = configError(() => loadConfig(secretSchema, { env: { OPG_KEYSTORE_PASSWORD: "hunter2" } }));
    expect(error.message).not.toContain("hunter2");
    expect(error.issues[0]?.message).toContain("<redacted>");
  });

  it("error: unknown flag", () => {
    const error = configError(() => loadConfig(schema, { env: {}, flags: { "p2p.prot": "1" } }));
    expect(error.issues[0]?.message).toBe("unknown flag --p2p.prot; did you mean --p2p.port?");
  });

  it("error: missing file", () => {
    const error = configError(() => loadConfig(schema, { file: "/nonexistent/opg.json", env: {} }));
    expect(error.code).toBe("CONFIG_FILE_NOT_FOUND");
  });

  it("error: malformed file", () => {
    expect(configError(() => loadConfig(schema, { file: writeJson("{ nope"), env: {} })).code).toBe(
      "CONFIG_FILE_INVALID",
    );
    expect(configError(() => loadConfig(schema, { file: writeJson("[1]"), env: {} })).code).toBe(
      "CONFIG_FILE_INVALID",
    );
  });
});
