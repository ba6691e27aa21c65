#!/usr/bin/env node
import { InferenceEngine } from "@opg/inference";
import { daemonCli, loadDaemonConfig } from "@opg/runtime";
import { execNodeConfig } from "./config.js";
import { ExecNode, engineOptions, VERSION } from "./ExecNode.js";

/** `opg-exec init | register | models add|list|remove | start | status`. */
const program = daemonCli({
  name: "opg-exec",
  description: "opg execution node: runs ONNX models, signs and proves results, gossips them to verifiers",
  version: VERSION,
  schema: execNodeConfig,
  role: "executor",
  start: async (config, logger) => {
    const node = await ExecNode.create(config, { logger });
    await node.start();
    return node;
  },
});

const models = program.command("models").description("the node's model store");

async function withStore<T>(fn: (engine: InferenceEngine) => Promise<T>): Promise<T> {
  const config = loadDaemonConfig(execNodeConfig, program.opts());
  const engine = new InferenceEngine({ ...engineOptions(config), preload: [], warmup: false });
  await engine.store.open();
  return fn(engine);
}

models
  .command("add <file>")
  .description("copy an ONNX file into the store; its model id is the sha256 of its bytes")
  .option("--name <name>", "a readable name")
  .option("--batching", "enable dynamic batching for it (needs a batch dimension)")
  .action((file: string, opts: { name?: string; batching?: boolean }) =>
    withStore(async (engine) => {
      const entry = await engine.addModel(file, {
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.batching ? { batching: { enabled: true } } : {}),
      });
      process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    }),
  );

models
  .command("list")
  .description("list the stored models")
  .action(() =>
    withStore(async (engine) => {
      process.stdout.write(`${JSON.stringify(engine.store.list(), null, 2)}\n`);
    }),
  );

models
  .command("remove <modelId>")
  .description("remove a model from the store")
  .action((modelId: string) =>
    withStore(async (engine) => {
      const removed = await engine.removeModel(modelId);
      process.stdout.write(`${JSON.stringify({ modelId, removed })}\n`);
      if (!removed) process.exitCode = 1;
    }),
  );

await program.parseAsync(process.argv);
