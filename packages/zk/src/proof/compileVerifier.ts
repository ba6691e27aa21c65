import { createRequire } from "node:module";
import type { Hex } from "viem";
import { ZkError } from "../ZkError.js";
import { SOLIDITY_VERIFIER_CONTRACT } from "./solidity.js";

/**
 * Compiles a generated Groth16 verifier (`verifierSolidity` / `Verifier.sol`) with solc (npm
 * `solc`, a dependency of this package at the contracts project's version, optimizer on, 200 runs)
 * and returns its creation bytecode. `opg-exec models add --zk` and the devnets deploy with it, so
 * it must resolve in production installs too (the compose devnet's deployer).
 */
export function compileVerifierSolidity(solidity: string): { bytecode: Hex; solcVersion: string } {
  const req = createRequire(import.meta.url);
  const solc = req("solc") as { compile(input: string): string; version(): string };
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Verifier.sol": { content: solidity } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          outputSelection: { "*": { "*": ["evm.bytecode.object"] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  const object = output.contracts?.["Verifier.sol"]?.[SOLIDITY_VERIFIER_CONTRACT]?.evm.bytecode.object;
  if (errors.length > 0 || !object) {
    throw new ZkError("ARTIFACT_MISSING", "The Groth16 verifier does not compile.", {
      details: errors.map((e) => e.formattedMessage).join("\n"),
    });
  }
  return { bytecode: `0x${object}`, solcVersion: solc.version() };
}
