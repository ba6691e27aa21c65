/** How a result is proven (docs/protocol.md). Codes are what contracts and messages carry. */
export const ProofMode = { NONE: 0, ZK: 1, TEE: 2 } as const;
export type ProofMode = (typeof ProofMode)[keyof typeof ProofMode];
export type ProofModeName = keyof typeof ProofMode;

export function isProofMode(value: unknown): value is ProofMode {
  return value === 0 || value === 1 || value === 2;
}

export function proofModeName(mode: ProofMode): ProofModeName {
  return (["NONE", "ZK", "TEE"] as const)[mode];
}

export function parseProofMode(name: string): ProofMode | undefined {
  const key = name.toUpperCase();
  return Object.hasOwn(ProofMode, key) ? ProofMode[key as ProofModeName] : undefined;
}
