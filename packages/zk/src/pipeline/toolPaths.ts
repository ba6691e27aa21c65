import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ZK_PACKAGE_DIR } from "./paths.js";

const require = createRequire(import.meta.url);

/** The monorepo's circuits/ folder (templates, dev ceremony). */
export const CIRCUITS_DIR = join(ZK_PACKAGE_DIR, "..", "..", "circuits");

/** circom templates of @opg/circuits (`opg.circom`). */
export const TEMPLATES_DIR = join(CIRCUITS_DIR, "templates");

/** The committed development powers-of-tau (see circuits/README.md). */
export const DEV_PTAU_PATH = join(CIRCUITS_DIR, "ptau", "opg-dev-11.ptau");

/** circomlib's circuits (poseidon, bitify), resolved through node_modules. */
export function circomlibDir(): string {
  return realpathSync(join(dirname(require.resolve("circomlib/package.json")), "circuits"));
}

/** The circom2 (WebAssembly) command-line entry. */
export function circomCli(): string {
  return realpathSync(join(dirname(require.resolve("circom2/package.json")), "cli.js"));
}

/** snarkjs' Solidity verifier template for Groth16. */
export function groth16VerifierTemplatePath(): string {
  // snarkjs exports no ./package.json: its CommonJS entry is build/main.cjs.
  return join(dirname(require.resolve("snarkjs")), "..", "templates", "verifier_groth16.sol.ejs");
}
