import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createChainClient, deploymentPath, loadDeployment, OpgContracts, TxSender } from "@opg/chain";
import { configKeys, createKeystore, createLogger, type Logger, readKeystoreFile } from "@opg/daemon";
import { OpgError } from "@opg/protocol";
import { Command, Option } from "commander";
import { getAddress, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type * as z from "zod";
import { runCliAction } from "./cliAction.js";
import type { CommonConfig } from "./commonConfig.js";
import { configFilePath, type GlobalOpts, loadDaemonConfig, loadWithFlags } from "./configFile.js";
import { dataPath, loadConfiguredDeployment, loadSigner } from "./NodeRuntime.js";
import { eth } from "./OperatorHealth.js";
import { registerOperator } from "./registerOperator.js";

export { loadDaemonConfig } from "./configFile.js";

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

/**
 * The commands both daemons share: `init` (keystore, config, deployment), `address`, `register`
 * (stake + key binding), `start` and `status`. Every config key is also a flag (`--p2p.listen …`)
 * and an env variable; the flags given to `init` and `register` are saved in the config file.
 */
export function daemonCli<S extends z.ZodType<CommonConfig>>(spec: DaemonCliSpec<S>): Command {
  const program = new Command(spec.name)
    .description(spec.description)
    .version(spec.version)
    .option("-c, --config <file>", "JSON config file (default: <data-dir>/config.json when present)")
    .option("-d, --data-dir <dir>", "folder of the node's state, keystore and config");
  const globals = () => program.opts<GlobalOpts>();

  addConfigFlags(
    program
      .command("init")
      .description(
        "create the node's encrypted signing key, its config file and deployments/ folder in the data dir; config flags given here are saved",
      )
      .option(
        "--password-file <file>",
        "file holding the keystore password; created with a random one when missing (saved relative to the data dir)",
      )
      .option("--private-key-file <file>", "import this key (hex in a file) instead of generating one")
      .option(
        "--deployment <file>",
        "the network's deployment file (from `opg-admin deploy`): copied to <data-dir>/deployments/<chainId>.json",
      )
      .option("--force", "overwrite an existing keystore"),
    spec.schema,
  ).action(
    (
      opts: {
        passwordFile?: string;
        privateKeyFile?: string;
        deployment?: string;
        force?: boolean;
      } & Record<string, unknown>,
    ) =>
      runCliAction(async () => {
        const { passwordFile: passwordOpt, privateKeyFile, deployment, force, ...flags } = opts;
        const dir = resolve(globals().dataDir ?? ".");
        mkdirSync(join(dir, "deployments"), { recursive: true, mode: 0o700 });
        let password = process.env["OPG_KEYSTORE_PASSWORD"];
        let passwordFile: string | undefined;
        if (passwordOpt) {
          passwordFile = resolve(passwordOpt);
          if (!existsSync(passwordFile))
            writeFileSync(passwordFile, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
          password = readFileSync(passwordFile, "utf8").replace(/\r?\n$/, "");
        }
        const keystorePath = join(dir, "keystore.json");
        let address: string;
        if (existsSync(keystorePath) && !force) {
          // Running init again keeps the key (it may hold a stake) and updates the rest.
          address = `0x${(await readKeystoreFile(keystorePath)).keystore.address}`;
        } else {
          if (!password) {
            throw new OpgError("KEYSTORE_PASSWORD_MISSING", "No keystore password.", {
              details: "Set OPG_KEYSTORE_PASSWORD or pass --password-file.",
            });
          }
          const privateKey = privateKeyFile
            ? (readFileSync(privateKeyFile, "utf8").trim() as `0x${string}`)
            : undefined;
          ({ address } = await createKeystore({
            path: keystorePath,
            password,
            ...(privateKey ? { privateKey } : {}),
            overwrite: force ?? false,
          }));
        }
        let copied: string | undefined;
        if (deployment) {
          const parsed = await loadDeployment({ file: resolve(deployment) });
          copied = deploymentPath(join(dir, "deployments"), parsed.chainId);
          if (resolve(deployment) !== copied) copyFileSync(resolve(deployment), copied);
          if (flags["chain.chainId"] === undefined && parsed.chainId !== 31337)
            flags["chain.chainId"] = String(parsed.chainId);
        }
        const saved = loadWithFlags(spec.schema, { ...globals(), dataDir: dir, ...flags }).save({
          "keystore.path": "keystore.json",
          ...(passwordFile ? { "keystore.passwordFile": relative(dir, passwordFile) } : {}),
        });
        process.stdout.write(
          `${JSON.stringify({ address: getAddress(address), keystore: keystorePath, config: configFilePath({ ...globals(), dataDir: dir }), saved, ...(copied ? { deployment: copied } : {}) }, null, 2)}\n`,
        );
      }),
  );

  program
    .command("address")
    .description("print the node's signing address (or, with --p2p, its libp2p addresses with the peer id)")
    .option("--p2p", "print the multiaddrs other nodes dial (p2p.announce, else p2p.listen), one a line")
    .action((opts: { p2p?: boolean }) =>
      runCliAction(async () => {
        const config = loadDaemonConfig(spec.schema, globals()) as CommonConfig;
        if (!opts.p2p) {
          const { keystore } = await readKeystoreFile(dataPath(config, config.keystore.path));
          process.stdout.write(`${getAddress(`0x${keystore.address}`)}\n`);
          return;
        }
        const { loadOrCreatePeerKey, peerIdString } = await import("@opg/p2p"); // libp2p loads slowly: only here
        const { privateKey } = await loadOrCreatePeerKey(dataPath(config, "peer.key"));
        const addrs = config.p2p.announce.length > 0 ? config.p2p.announce : config.p2p.listen;
        for (const a of addrs) {
          if (/\/tcp\/0(\/|$)/.test(a))
            throw new OpgError(
              "P2P_PORT_UNKNOWN",
              `p2p.listen ${a} picks a free port at start: set a fixed port (--p2p.listen /ip4/0.0.0.0/tcp/9645) so other nodes can dial this one.`,
            );
          process.stdout.write(`${a}/p2p/${peerIdString(privateKey)}\n`);
        }
      }),
    );

  addConfigFlags(
    program
      .command("register")
      .description(
        `register this node's key as ${spec.role} in the OperatorRegistry, with a stake; config flags given here are saved`,
      )
      .requiredOption("--stake <eth>", "stake in ETH (at least the registry's minimum)"),
    spec.schema,
  ).action((opts: { stake: string } & Record<string, unknown>) => {
    let rpcUrl: string | undefined;
    return runCliAction(
      async () => {
        const { stake, ...flags } = opts;
        const loaded = loadWithFlags(spec.schema, { ...globals(), ...flags });
        const config = loaded.config as CommonConfig;
        rpcUrl = config.chain.rpcUrl;
        const logger = createLogger({ level: "warn" });
        const signer = await loadSigner(config);
        const deployment = await loadConfiguredDeployment(config);
        const client = createChainClient({ rpcUrl: config.chain.rpcUrl, chainId: config.chain.chainId });
        const account = privateKeyToAccount(signer.privateKey);
        const sender = new TxSender({ chainId: config.chain.chainId }, { client, account, logger });
        sender.start();
        try {
          const outcome = await registerOperator({
            contracts: new OpgContracts(deployment, { client, sender }),
            client,
            account,
            role: spec.role,
            stake: parseStake(stake),
            cliName: spec.name,
          });
          const saved = loaded.save(); // once the chain answered: a wrong --chain.rpc-url is not kept
          process.stdout.write(
            `${JSON.stringify({ ...outcome, role: spec.role, stake: eth(outcome.stake), saved }, null, 2)}\n`,
          );
        } finally {
          sender.stop();
        }
      },
      {
        get rpcUrl() {
          return rpcUrl;
        },
      },
    );
  });

  addConfigFlags(program.command("start").description(`start ${spec.name}`), spec.schema).action(
    (flags: Record<string, unknown>) => {
      let rpcUrl: string | undefined;
      return runCliAction(
        async () => {
          const config = loadDaemonConfig(spec.schema, { ...globals(), ...flags });
          rpcUrl = config.chain.rpcUrl;
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
        },
        {
          get rpcUrl() {
            return rpcUrl;
          },
        },
      );
    },
  );

  addConfigFlags(
    program
      .command("status")
      .description("ask a running node for its health: ok, starting, or degraded with the reasons")
      .option("--url <url>", "the node's HTTP address (default: from the config)")
      .option(
        "--wait [seconds]",
        "wait until the node is up and ok (default at most 60 s); exit code 1 when it is not by then",
      ),
    spec.schema,
  ).action((opts: { url?: string; wait?: string | boolean } & Record<string, unknown>) =>
    runCliAction(async () => {
      const { url, wait, ...flags } = opts;
      let base = url;
      if (!base) {
        const config = loadDaemonConfig(spec.schema, { ...globals(), ...flags }) as CommonConfig;
        const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
        base = `http://${host}:${config.http.port}`;
      }
      const waitMs = wait === undefined ? 0 : (wait === true ? 60 : Number(wait)) * 1000;
      if (!Number.isFinite(waitMs) || waitMs < 0)
        throw new OpgError("INVALID_ARGUMENT", `--wait takes seconds; got "${String(wait)}".`);
      const deadline = Date.now() + waitMs;
      let body: { status?: string; reasons?: string[] } | undefined;
      for (;;) {
        body = await fetchHealth(base, spec.name, Date.now() >= deadline);
        if ((body && body.status === "ok") || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      if (body?.status !== "ok") {
        for (const reason of body?.reasons ?? []) process.stderr.write(`${spec.name} degraded: ${reason}\n`);
        process.exitCode = 1;
      }
    }),
  );

  return program;
}

async function fetchHealth(
  base: string,
  name: string,
  last: boolean,
): Promise<{ status?: string; reasons?: string[] } | undefined> {
  try {
    const res = await fetch(new URL("/health", base), { signal: AbortSignal.timeout(5_000) });
    return (await res.json()) as { status?: string; reasons?: string[] };
  } catch (cause) {
    if (!last) return undefined;
    throw new OpgError(
      "NOT_RUNNING",
      `No ${name} answers at ${base}: start it (\`${name} start\`), or pass --url / set http.port.`,
      { cause },
    );
  }
}

function parseStake(value: string): bigint {
  try {
    return parseEther(value);
  } catch {
    throw new OpgError("INVALID_ARGUMENT", `--stake takes an amount in ETH (like 0.5); got "${value}".`);
  }
}
