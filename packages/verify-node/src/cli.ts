#!/usr/bin/env node
import { daemonCli } from "@opg/runtime";
import { verifyNodeConfig } from "./config.js";
import { VERSION } from "./version.js";

/** `opg-verify init | register | start | status`. */
const program = daemonCli({
  name: "opg-verify",
  description: "opg verifier node: checks gossiped results, agrees on batches, settles them on chain",
  version: VERSION,
  schema: verifyNodeConfig,
  role: "verifier",
  start: async (config, logger) => {
    const { VerifyNode } = await import("./VerifyNode.js"); // the daemon's modules load only for `start`
    const node = await VerifyNode.create(config, { logger });
    await node.start();
    return node;
  },
});

await program.parseAsync(process.argv);
