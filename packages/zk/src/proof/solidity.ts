import { readFile } from "node:fs/promises";
import { encodeFunctionData, type Hex } from "viem";
import type { ZkArtifacts } from "../pipeline/ZkArtifacts.js";
import type { Groth16ProofPoints } from "./Groth16Proof.js";

/** Name of the contract in snarkjs' generated verifier. */
export const SOLIDITY_VERIFIER_CONTRACT = "Groth16Verifier";

/**
 * The model's Solidity verifier (snarkjs `exportSolidityVerifier`, Groth16, BN254 precompiles),
 * optionally with the contract renamed (e.g. one verifier per model in one compilation).
 */
export async function verifierSolidity(
  artifacts: Pick<ZkArtifacts, "solidityPath">,
  contractName?: string,
): Promise<string> {
  const source = await readFile(artifacts.solidityPath, "utf8");
  if (!contractName) return source;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(contractName))
    throw new TypeError(`Invalid contract name ${contractName}`);
  return source.replace(`contract ${SOLIDITY_VERIFIER_CONTRACT} `, `contract ${contractName} `);
}

/** ABI of the generated verifier's `verifyProof` for `nPublic` public signals. */
export function groth16VerifierAbi(nPublic: number) {
  return [
    {
      type: "function",
      name: "verifyProof",
      stateMutability: "view",
      inputs: [
        { name: "_pA", type: "uint256[2]" },
        { name: "_pB", type: "uint256[2][2]" },
        { name: "_pC", type: "uint256[2]" },
        { name: "_pubSignals", type: `uint256[${nPublic}]` },
      ],
      outputs: [{ name: "", type: "bool" }],
    },
  ] as const;
}

/** Arguments of `verifyProof(a, b, c, pubSignals)` (EIP-197 order; what a hub contract forwards). */
export type VerifierCalldata = {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
  pubSignals: readonly bigint[];
};

export function verifierCalldata(
  proof: Groth16ProofPoints,
  publicSignals: readonly bigint[],
): VerifierCalldata {
  return { a: proof.a, b: proof.b, c: proof.c, pubSignals: publicSignals };
}

/** ABI-encoded call data of `verifyProof` for this proof. */
export function encodeVerifyProofCall(proof: Groth16ProofPoints, publicSignals: readonly bigint[]): Hex {
  return encodeFunctionData({
    abi: groth16VerifierAbi(publicSignals.length),
    functionName: "verifyProof",
    args: [proof.a, proof.b, proof.c, publicSignals] as never,
  });
}
