/**
 * Reference TypeScript implementation of the on-chain parts of docs/protocol.md, written independently of the
 * contracts (viem + @openzeppelin/merkle-tree), used to check that the contracts compute the same values.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, encodeAbiParameters, type Hex, keccak256, type LocalAccount } from "viem";

export const LEAF_ENCODING = ["bytes32", "bytes32", "bytes32", "bytes32", "address"];

export const eip712Types = {
  InferenceRequest: [
    { name: "requester", type: "address" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "mode", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ExecutionResult: [
    { name: "requestId", type: "bytes32" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "mode", type: "uint8" },
  ],
  BatchRoot: [
    { name: "configDigest", type: "bytes32" },
    { name: "batchId", type: "uint64" },
    { name: "root", type: "bytes32" },
    { name: "count", type: "uint32" },
  ],
  EnclaveRegistration: [
    { name: "enclave", type: "address" },
    { name: "measurement", type: "bytes32" },
    { name: "expiresAt", type: "uint64" },
    { name: "configDigest", type: "bytes32" },
  ],
} as const;

export interface ResultFields {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  executor: Address;
}

export interface BatchHeader {
  configDigest: Hex;
  batchId: bigint;
  root: Hex;
  count: number;
}

export interface ExecutionResultMessage {
  requestId: Hex;
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  mode: number;
}

export function hubDomain(chainId: number, hub: Address) {
  return { name: "opg", version: "1", chainId, verifyingContract: hub } as const;
}

export function resultHash(r: ResultFields): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "address" },
      ],
      [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor],
    ),
  );
}

export function leafOf(r: ResultFields): Hex {
  return keccak256(resultHash(r));
}

export function leafValues(r: ResultFields): [Hex, Hex, Hex, Hex, Address] {
  return [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor];
}

export function buildTree(results: readonly ResultFields[]) {
  return StandardMerkleTree.of(results.map(leafValues), LEAF_ENCODING);
}

export function proofFor(tree: StandardMerkleTree<[Hex, Hex, Hex, Hex, Address]>, r: ResultFields): Hex[] {
  for (const [i, v] of tree.entries()) {
    if (v[0] === r.requestId && v[3] === r.outputHash && v[4].toLowerCase() === r.executor.toLowerCase()) {
      return tree.getProof(i) as Hex[];
    }
  }
  throw new Error(`result ${r.requestId} not in tree`);
}

export function configDigest(
  chainId: number | bigint,
  registry: Address,
  configCount: bigint,
  signers: readonly Address[],
  f: number,
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "address" },
        { type: "uint64" },
        { type: "address[]" },
        { type: "uint8" },
      ],
      [BigInt(chainId), registry, configCount, signers, f],
    ),
  );
}

export function signBatchRoot(
  signer: LocalAccount,
  chainId: number,
  hub: Address,
  header: BatchHeader,
): Promise<Hex> {
  return signer.signTypedData({
    domain: hubDomain(chainId, hub),
    types: eip712Types,
    primaryType: "BatchRoot",
    message: header,
  });
}

export function signExecutionResult(
  signer: LocalAccount,
  chainId: number,
  hub: Address,
  result: ExecutionResultMessage,
): Promise<Hex> {
  return signer.signTypedData({
    domain: hubDomain(chainId, hub),
    types: eip712Types,
    primaryType: "ExecutionResult",
    message: result,
  });
}

export interface EnclaveRegistration {
  enclave: Address;
  measurement: Hex;
  expiresAt: bigint;
  configDigest: Hex;
}

/** A verifier's EIP-712 `EnclaveRegistration` signature (in the hub's domain). */
export function signEnclaveRegistration(
  signer: LocalAccount,
  chainId: number,
  hub: Address,
  registration: EnclaveRegistration,
): Promise<Hex> {
  return signer.signTypedData({
    domain: hubDomain(chainId, hub),
    types: eip712Types,
    primaryType: "EnclaveRegistration",
    message: registration,
  });
}

/** secp256k1 group order. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The malleable twin of a low-s signature (s' = n - s, v flipped): valid for ecrecover, rejected by opg. */
export function malleate(signature: Hex): Hex {
  const r = signature.slice(2, 66);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  const s2 = (SECP256K1_N - s).toString(16).padStart(64, "0");
  const v2 = (v === 27 ? 28 : 27).toString(16);
  return `0x${r}${s2}${v2}`;
}
