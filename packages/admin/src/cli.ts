#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { OpgError } from "@opg/protocol";
import { eth, runCliAction, trimEth } from "@opg/runtime";
import { Command } from "commander";
import { type Address, getAddress, type Hex, isAddress, parseEther } from "viem";
import {
  type AdminTarget,
  connect,
  deployNetwork,
  setFeeSplit,
  setMinStakes,
  setPaused,
  setVerifierSet,
  showHubGovernance,
  showStakes,
} from "./network.js";
import { fund, sendTestRequest } from "./requests.js";

type Globals = { rpcUrl: string; keyFile?: string; deployments: string };

const program = new Command("opg-admin")
  .description(
    "the opg network owner's commands: deploy the contracts, set the verifier set and f, minimum stakes, the fee split, pause; fund keys and send a test request",
  )
  .option(
    "--rpc-url <url>",
    "JSON-RPC endpoint of the chain (env OPG_CHAIN_RPC_URL)",
    process.env["OPG_CHAIN_RPC_URL"] ?? "http://127.0.0.1:8545",
  )
  .option(
    "--key-file <file>",
    "file holding the owner's private key (0x + 64 hex digits; env OPG_ADMIN_KEY_FILE)",
  )
  .option(
    "--deployments <dir>",
    "folder of deployments/<chainId>.json (deploy writes it; daemons get it with `init --deployment`)",
    "deployments",
  );

function target(): AdminTarget {
  const g = program.opts<Globals>();
  const keyFile = g.keyFile ?? process.env["OPG_ADMIN_KEY_FILE"];
  if (!keyFile)
    throw new OpgError("KEY_MISSING", "No owner key: pass --key-file <file> (or set OPG_ADMIN_KEY_FILE).");
  let key: string;
  try {
    key = readFileSync(keyFile, "utf8").trim();
  } catch (cause) {
    throw new OpgError("KEY_MISSING", `Cannot read the key file ${resolve(keyFile)}: check the path.`, {
      cause,
    });
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new OpgError("KEY_INVALID", `${resolve(keyFile)} must hold one private key: 0x + 64 hex digits.`);
  return { rpcUrl: g.rpcUrl, privateKey: key as Hex, deployments: resolve(g.deployments) };
}

function print(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
}

function ethArg(flag: string, value: string): bigint {
  try {
    return parseEther(value);
  } catch {
    throw new OpgError("INVALID_ARGUMENT", `${flag} takes an amount in ETH (like 0.5); got "${value}".`);
  }
}

function addressArg(value: string): Address {
  if (!isAddress(value, { strict: false }))
    throw new OpgError("INVALID_ARGUMENT", `"${value}" is not an address (0x + 40 hex digits).`);
  return getAddress(value);
}

/** Runs `fn` with the owner connected to the deployed network. */
async function withNetwork<T>(fn: (net: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<void> {
  const net = await connect(target());
  try {
    print(await fn(net));
  } finally {
    net.stop();
  }
}

const rpc = () => ({ rpcUrl: program.opts<Globals>().rpcUrl });

program
  .command("deploy")
  .description(
    "deploy OperatorRegistry, ModelRegistry, InferenceHub and EnclaveRegistry; write <deployments>/<chainId>.json",
  )
  .option("--min-executor-stake <eth>", "minimum stake of an executor", "0.1")
  .option("--min-verifier-stake <eth>", "minimum stake of a verifier", "1")
  .option("--challenge-window <seconds>", "how long a signer stays slashable after a result", "86400")
  .option("--unbonding-delay <seconds>", "wait between requestUnbond and withdrawStake", "604800")
  .option("--treasury <address>", "receives the treasury's share of slashed stakes (default: the owner)")
  .option("--force", "deploy again even when the deployments file names live contracts")
  .action(
    (opts: {
      minExecutorStake: string;
      minVerifierStake: string;
      challengeWindow: string;
      unbondingDelay: string;
      treasury?: string;
      force?: boolean;
    }) =>
      runCliAction(async () => {
        const { deployment, file } = await deployNetwork(
          target(),
          {
            minExecutorStake: ethArg("--min-executor-stake", opts.minExecutorStake),
            minVerifierStake: ethArg("--min-verifier-stake", opts.minVerifierStake),
            challengeWindow: BigInt(opts.challengeWindow),
            unbondingDelay: BigInt(opts.unbondingDelay),
            ...(opts.treasury ? { treasury: addressArg(opts.treasury) } : {}),
          },
          { force: opts.force ?? false },
        );
        print({
          chainId: deployment.chainId,
          inferenceHub: deployment.inferenceHub,
          operatorRegistry: deployment.operatorRegistry,
          modelRegistry: deployment.modelRegistry,
          enclaveRegistry: deployment.enclaveRegistry,
          owner: deployment.admin,
          minStakes: {
            executor: eth(deployment.registryParams.minExecutorStake),
            verifier: eth(deployment.registryParams.minVerifierStake),
          },
          file,
        });
      }, rpc()),
  );

const verifiers = program.command("verifiers").description("the verifier set that signs batches");
verifiers
  .command("show")
  .description("the current verifier set, f and quorum")
  .action(() =>
    runCliAction(
      () =>
        withNetwork(async ({ contracts }) => {
          const set = await contracts.registry.getVerifierSet();
          return { signers: set.signers, f: set.f, quorum: set.f + 1, configDigest: set.configDigest };
        }),
      rpc(),
    ),
  );
verifiers
  .command("set <signers...>")
  .description(
    "replace the verifier set with these signing addresses (each an active verifier); quorum is f + 1",
  )
  .option(
    "--f <n>",
    "faults tolerated: batches settle with f + 1 signatures (default: the most n ≥ 3f + 1 allows)",
  )
  .action((signers: string[], opts: { f?: string }) =>
    runCliAction(
      () =>
        withNetwork(async ({ contracts }) => {
          const list = signers.map(addressArg);
          const f = opts.f === undefined ? Math.floor((list.length - 1) / 3) : Number(opts.f);
          return setVerifierSet(contracts, list, f);
        }),
      rpc(),
    ),
  );

const stakes = program.command("stakes").description("the minimum stakes of executors and verifiers");
stakes
  .command("show")
  .description("the minimum stakes, in ETH")
  .action(() => runCliAction(() => withNetwork(({ contracts }) => showStakes(contracts)), rpc()));
stakes
  .command("set")
  .description("set the minimum stakes (operators under a new minimum stop counting as active)")
  .requiredOption("--executor <eth>", "minimum stake of an executor")
  .requiredOption("--verifier <eth>", "minimum stake of a verifier")
  .action((opts: { executor: string; verifier: string }) =>
    runCliAction(
      () =>
        withNetwork(({ contracts }) =>
          setMinStakes(contracts, ethArg("--executor", opts.executor), ethArg("--verifier", opts.verifier)),
        ),
      rpc(),
    ),
  );

program
  .command("fee-split [bps]")
  .description(
    "show, or set, the verifier fee share: basis points of each delivered fee paid to the verifier that settled the result's batch (1000 = 10 %, at most 5000 = 50 %); the executor gets the rest; applies to batches settled from now on",
  )
  .action((bps: string | undefined) =>
    runCliAction(
      () =>
        withNetwork(({ contracts }) => {
          if (bps === undefined) return showHubGovernance(contracts);
          if (!/^\d+$/.test(bps))
            throw new OpgError(
              "INVALID_ARGUMENT",
              `fee-split takes whole basis points from 0 to 5000 (1000 = 10 %); got "${bps}".`,
            );
          return setFeeSplit(contracts, Number(bps));
        }),
      rpc(),
    ),
  );

program
  .command("pause")
  .description(
    "pause the InferenceHub: no new requests and no settlement; delivery of settled results, refunds and withdrawals stay open",
  )
  .action(() => runCliAction(() => withNetwork(({ contracts }) => setPaused(contracts, true)), rpc()));

program
  .command("unpause")
  .description("lift the pause: requests and settlement resume")
  .action(() => runCliAction(() => withNetwork(({ contracts }) => setPaused(contracts, false)), rpc()));

program
  .command("fund <address> <eth>")
  .description("send ETH from the owner key to an address (an operator's signing key on a test chain)")
  .action((address: string, amount: string) =>
    runCliAction(async () => {
      const t = target();
      print(await fund(t.rpcUrl, t.privateKey, addressArg(address), ethArg("amount", amount)));
    }, rpc()),
  );

program
  .command("request")
  .description(
    "send a signed request for a model to an executor, wait until the verifiers settle it, and check it against the chain",
  )
  .requiredOption("--model <modelId>", "model id (0x + 64 hex digits)")
  .requiredOption(
    "--input <json>",
    'inputs as JSON tensors: {"name": {"dtype": "float32", "dims": [1, 4], "data": [...]}}',
  )
  .requiredOption("--exec-url <url>", "an executor's HTTP API")
  .requiredOption("--verify-url <url>", "a verifier's HTTP API")
  .option("--mode <mode>", "proof mode: none, zk or tee", "none")
  .option("--timeout <seconds>", "how long to wait for settlement", "120")
  .action(
    (opts: {
      model: string;
      input: string;
      execUrl: string;
      verifyUrl: string;
      mode: string;
      timeout: string;
    }) =>
      runCliAction(async () => {
        const t = target();
        if (!/^0x[0-9a-fA-F]{64}$/.test(opts.model))
          throw new OpgError(
            "INVALID_ARGUMENT",
            `--model takes a model id (0x + 64 hex digits); got "${opts.model}".`,
          );
        let inputs: unknown;
        try {
          inputs = JSON.parse(opts.input);
        } catch {
          throw new OpgError("INVALID_ARGUMENT", "--input is not valid JSON.");
        }
        print(
          await sendTestRequest(t, {
            modelId: opts.model as Hex,
            inputs,
            execUrl: opts.execUrl,
            verifyUrl: opts.verifyUrl,
            mode: opts.mode,
            timeoutMs: Number(opts.timeout) * 1000,
          }),
        );
      }, rpc()),
  );

export { trimEth };

await program.parseAsync(process.argv);
