import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";

/** Proof modes (docs/protocol.md): the `mode` of a request and a result. */
export const ProofMode = { NONE: 0, ZK: 1, TEE: 2 } as const;
export type ProofMode = (typeof ProofMode)[keyof typeof ProofMode];

/** OperatorRegistry roles. */
export const OperatorRole = { EXECUTOR: 1, VERIFIER: 2 } as const;
export type OperatorRole = (typeof OperatorRole)[keyof typeof OperatorRole];

/** OperatorRegistry operator status. */
export const OperatorStatus = { NONE: 0, ACTIVE: 1, UNBONDING: 2 } as const;
export type OperatorStatus = (typeof OperatorStatus)[keyof typeof OperatorStatus];

/** InferenceHub.requestStatus values. */
export const RequestStatus = { NONE: 0, PENDING: 1, DELIVERED: 2, REFUNDED: 3 } as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

/** Hub limits (mirrors the contract constants). */
export const HUB_LIMITS = {
  maxInlineInputBytes: 8192,
  maxCallbackGasLimit: 2_500_000,
  callbackGasReserve: 15_000,
} as const;

/** Largest verifier set the registry accepts. */
export const MAX_VERIFIERS = 64;

/** ModelRegistry mode bitmask for a list of modes (bit i = mode i supported). */
export function modeMask(...modes: readonly ProofMode[]): number {
  let mask = 0;
  for (const mode of modes) mask |= 1 << mode;
  return mask;
}

/**
 * The id of a publisher's `index`-th listing of `modelId` (ModelRegistry.listingIdOf):
 * `keccak256(abi.encode(modelId, publisher, index))`. A listing made by `createListing` gets the
 * next index of (modelId, publisher), starting at 0.
 */
export function listingIdOf(modelId: Hex, publisher: Address, index = 0n): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "uint256" }],
      [modelId, publisher, index],
    ),
  );
}
