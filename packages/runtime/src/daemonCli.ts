import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createChainClient, TxSender } from "@opg/chain";
import { OperatorRole, operatorRegistryAbi, signSignerBinding } from "@opg/contracts";
import { ConfigError, configKeys, createKeystore, createLogger, type Logger, loadConfig } from "@opg/daemon";
import { OpgError } from "@opg/protocol";
import { Command, Option } from "commander";
import { formatEther, getAddress, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type * as z from "zod";
import type { CommonConfig } from "./commonConfig.js";
import { loadConfiguredDeployment, loadSigner } from "./NodeRuntime.js";

export type RunningDaemon = { stop(reason?: string): Promise<unknown> };

export type DaemonCliSpec<S extends z.ZodType<CommonConfig>> = {
  name: string;
  description: string;
  version: string;
  schema: S;
  role: "executor" | "verifier";
  /** Builds and starts the daemon. */
  start(config: z.output<S>, logger: Logger): Promise<RunningDaemon>;
};

type GlobalOpts = { config?: string; dataDir?: string };

/** Config from `--config`/`--data-dir` (default: `<dataDir>/config.json` when present), env and flags. */
export function loadDaemonConfig<S extends z.ZodType>(
  schema: S,
  opts: GlobalOpts & Record<string, unknown>,
): z.output<S> {
  const { config, dataDir, ...flags } = opts;
  const fallback = dataDir ? join(dataDir, "config.json") : undefined;
  const file = config ?? (fallback && existsSync(fallback) ? fallback : undefined);
  const withDir = dataDir ? { ...flags, dataDir } : flags;
  return loadConfig(schema, { file, flags: withDir, ignoreEnv: ["OPG_KEYSTORE_PASSWORD"] }).config;
}

function addConfigFlags(cmd: Command, schema: z.ZodType): Command {
  for (const key of configKeys(schema)) {
    if (key.path === "dataDir") continue;
    const arg = key.kind === "array" ? "<values...>" : key.kind === "boolean" ? "[bool]" : "<value>";
    cmd.addOption(
      new Option(`${key.flag} ${arg}`, `${key.description ?? key.path} (env ${key.env})`).hideHelp(),
    );
  }
  return cmd;
}

/** Runs a command action, turning opg errors into one clear line and exit code 1. */
/** Runs a CLI action: an OpgError or ConfigError becomes one `error: …` line and exit code 1. */
export async function runCliAction(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof OpgError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

/**
 * The commands both daemons share: `init` (keystore + config), `register` (stake + key binding),
 * `start` and `status`. Every config key is also a flag (`--p2p.listen …`) and an env variable.
 */
export function daemonCli<S extends z.ZodType<CommonConfig>>(spec: DaemonCliSpec<S>): Command {
  const program = new Command(spec.name)
    .description(spec.description)
    .version(spec.version)
    .option("-c, --config <file>", "JSON config file (default: <data-dir>/config.json when present)")
    .option("-d, --data-dir <dir>", "folder of the node's state, keystore and config");

  program
    .command("init")
    .description("create the node's encrypted signing key and a config file in the data dir")
    .option(
      "--password-file <file>",
      "file holding the keystore password; created with a random one when missing",
    )
    .option("--private-key-file <file>", "import this key (hex in a file) instead of generating one")
    .option("--force", "overwrite an existing keystore and config")
    .action((opts: { passwordFile?: string; privateKeyFile?: string; force?: boolean }) =>
      runCliAction(async () => {
        const global = program.opts<GlobalOpts>();
        const dir = resolve(global.dataDir ?? ".");
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        let password = process.env["OPG_KEYSTORE_PASSWORD"];
        let passwordFile: string | undefined;
        if (opts.passwordFile) {
          passwordFile = resolve(opts.passwordFile);
          if (!existsSync(passwordFile))
            writeFileSync(passwordFile, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
          password = readFileSync(passwordFile, "utf8").replace(/\r?\n$/, "");
        }
        if (!password) {
          throw new OpgError("KEYSTORE_PASSWORD_MISSING", "No keystore password.", {
            details: "Set OPG_KEYSTORE_PASSWORD or pass --password-file.",
          });
        }
        const privateKey = opts.privateKeyFile
          ? (readFileSync(opts.privateKeyFile, "utf8").trim() as `0x${string}`)
          : undefined;
        const { address } = await createKeystore({
          path: join(dir, "keystore.json"),
          password,
          ...(privateKey ? { privateKey } : {}),
          overwrite: opts.force ?? false,
        });
        const configPath = join(dir, "config.json");
        if (!existsSync(configPath) || opts.force) {
          const config = { keystore: { path: "keystore.json", ...(passwordFile ? { passwordFile } : {}) } };
          writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
        }
        process.stdout.write(
          `${JSON.stringify({ address: getAddress(address), keystore: join(dir, "keystore.json"), config: configPath })}\n`,
        );
      }),
    );

  addConfigFlags(
    program
      .command("register")
      .description(`register this node's key as ${spec.role} in the OperatorRegistry, with a stake`)
      .requiredOption("--stake <eth>", "stake in ETH (at least the registry's minimum)"),
    spec.schema,
  ).action((opts: { stake: string } & Record<string, unknown>) =>
    runCliAction(async () => {
      const { stake, ...flags } = opts;
      const config = loadDaemonConfig(spec.schema, {
        ...program.opts<GlobalOpts>(),
        ...flags,
      }) as CommonConfig;
      const logger = createLogger({ level: "warn" });
      const signer = await loadSigner(config);
      const deployment = await loadConfiguredDeployment(config);
      const client = createChainClient({ rpcUrl: config.chain.rpcUrl, chainId: config.chain.chainId });
      const account = privateKeyToAccount(signer.privateKey);
      const role = spec.role === "executor" ? OperatorRole.EXECUTOR : OperatorRole.VERIFIER;
      const signature = await signSignerBinding(account, {
        chainId: deployment.chainId,
        operatorRegistry: deployment.operatorRegistry,
        operator: account.address,
        role,
      });
      const sender = new TxSender({ chainId: config.chain.chainId }, { client, account, logger });
      sender.start();
      try {
        const tx = await sender.writeContract({
          address: deployment.operatorRegistry,
          abi: operatorRegistryAbi,
          functionName: "register",
          args: [role, account.address, signature],
          value: parseEther(stake),
        });
        process.stdout.write(
          `${JSON.stringify({ registered: spec.role, signer: account.address, stake: formatEther(parseEther(stake)), tx: tx.hash })}\n`,
        );
      } finally {
        sender.stop();
      }
    }),
  );

  addConfigFlags(program.command("start").description(`start ${spec.name}`), spec.schema).action(
    (flags: Record<string, unknown>) =>
      runCliAction(async () => {
        const config = loadDaemonConfig(spec.schema, { ...program.opts<GlobalOpts>(), ...flags });
        const logger = createLogger({ level: config.log.level, format: config.log.format });
        const daemon = await spec.start(config, logger);
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) {
            logger.warn({ signal }, "second signal: exiting now");
            process.exit(130);
          }
          stopping = true;
          logger.info({ signal }, "stopping");
          void daemon.stop(signal).then(() => process.exit(0));
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      }),
  );

  addConfigFlags(
    program
      .command("status")
      .description("ask a running node for its health")
      .option("--url <url>", "the node's HTTP address (default: from the config)"),
    spec.schema,
  ).action((opts: { url?: string } & Record<string, unknown>) =>
    runCliAction(async () => {
      const { url, ...flags } = opts;
      let base = url;
      if (!base) {
        const config = loadDaemonConfig(spec.schema, {
          ...program.opts<GlobalOpts>(),
          ...flags,
        }) as CommonConfig;
        base = `http://${config.http.host}:${config.http.port}`;
      }
      let res: Response;
      try {
        res = await fetch(new URL("/health", base), { signal: AbortSignal.timeout(5_000) });
      } catch (cause) {
        throw new OpgError("NOT_RUNNING", `No ${spec.name} answers at ${base}.`, { cause });
      }
      process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
      if (!res.ok) process.exitCode = 1;
    }),
  );

  return program;
}
