// Minimal typings for circomlibjs 0.1 (Poseidon only).
declare module "circomlibjs" {
  export type PoseidonField = {
    toObject(a: Uint8Array): bigint;
    e(a: bigint | string | number): Uint8Array;
  };
  export type Poseidon = {
    (inputs: (bigint | Uint8Array)[], initState?: bigint | Uint8Array, nOut?: number): Uint8Array;
    F: PoseidonField;
  };
  export function buildPoseidon(): Promise<Poseidon>;
}
