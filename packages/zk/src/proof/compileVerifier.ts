import { createRequire } from "node:module";
import { join } from "node:path";
import { type Hex, numberToHex } from "viem";
import { CIRCUITS_DIR } from "../pipeline/paths.js";
import { ZkError } from "../ZkError.js";
import { SOLIDITY_VERIFIER_CONTRACT } from "./solidity.js";

/**
 * Compiles a generated Groth16 verifier (`verifierSolidity` / `Verifier.sol`) with the contracts
 * project's solc (npm `solc`, optimizer on, 200 runs) and returns its creation bytecode. Borrows
 * contracts/node_modules (a dev-time helper: devnets, tests, benches).
 */
export function compileVerifierSolidity(solidity: string): { bytecode: Hex; solcVersion: string } {
  const req = createRequire(join(CIRCUITS_DIR, "..", "contracts", "package.json"));
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

/** A weights commitment (decimal string or bigint, < p) as the registry's bytes32. */
export function weightsCommitmentBytes32(commitment: string | bigint): Hex {
  return numberToHex(BigInt(commitment), { size: 32 });
}
