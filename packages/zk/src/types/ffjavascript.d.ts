// Minimal typings for the BN254 engine of ffjavascript 0.3 used by the batch verifier and the prover.
declare module "ffjavascript" {
  export type Point = Uint8Array;

  /** ChaCha20 stream (snarkjs seeds it from a beacon to derive a contribution's secret). */
  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
    nextU64(): bigint;
  }

  export type WasmField = {
    n8: number;
    one: Uint8Array;
    zero: Uint8Array;
    e(a: bigint | string | number): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
    toObject(a: Uint8Array): bigint;
    fromObject(a: bigint): Uint8Array;
    isZero(a: Uint8Array): boolean;
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    neg(a: Uint8Array): Uint8Array;
    random(): Uint8Array;
    /** 2-adicity of r − 1 (28 for BN254) and the roots of unity w[k] of order 2^k. */
    s: number;
    w: Uint8Array[];
    shift: Uint8Array;
    fft(a: Uint8Array): Promise<Uint8Array>;
    ifft(a: Uint8Array): Promise<Uint8Array>;
    batchApplyKey(a: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
  };

  export type WasmCurveGroup = {
    F: WasmField;
    g: Point;
    zero: Point;
    zeroAffine: Point;
    add(a: Point, b: Point): Point;
    double(a: Point): Point;
    neg(a: Point): Point;
    timesFr(a: Point, s: Uint8Array): Point;
    /** A point in the zkey's encoding: affine, little-endian Montgomery coordinates. */
    fromRprLEM(arr: Uint8Array, offset: number): Point;
    eq(a: Point, b: Point): boolean;
    isZero(a: Point): boolean;
    isValid(a: Point): boolean;
    timesScalar(a: Point, s: Uint8Array | bigint): Point;
    toAffine(a: Point): Point;
    toJacobian(a: Point): Point;
    fromObject(a: (bigint | bigint[])[]): Point;
    toObject(a: Point): unknown;
    fromRprUncompressed(arr: Uint8Array, offset: number): Point;
    toRprUncompressed(arr: Uint8Array, offset: number, a: Point): void;
    multiExpAffine(
      bases: Uint8Array,
      scalars: Uint8Array,
      logger?: unknown,
      logText?: string,
    ): Promise<Point>;
  };

  export type ThreadTask = (
    | { cmd: "ALLOCSET"; var: number; buff: Uint8Array }
    | { cmd: "ALLOC"; var: number; len: number }
    | { cmd: "CALL"; fnName: string; params: ({ var: number; offset?: number } | { val: number })[] }
    | { cmd: "GET"; out: number; var: number; len: number }
  )[];

  export type ThreadManager = {
    concurrency: number;
    singleThread: boolean;
    instance: { exports: Record<string, (...args: number[]) => number> };
    u8: Uint8Array;
    startSyncOp(): void;
    endSyncOp(): void;
    alloc(length: number): number;
    allocBuff(buff: Uint8Array): number;
    getBuff(pointer: number, length: number): Uint8Array;
    setBuff(pointer: number, buff: Uint8Array): void;
    queueAction(task: ThreadTask): Promise<Uint8Array[]>;
  };

  export type BnCurve = {
    name: string;
    r: bigint;
    q: bigint;
    tm: ThreadManager;
    prePSize: number;
    preQSize: number;
    Fr: WasmField;
    F1: WasmField;
    G1: WasmCurveGroup;
    G2: WasmCurveGroup;
    Gt: WasmField;
    prepareG1(p: Point): Uint8Array;
    prepareG2(q: Point): Uint8Array;
    millerLoop(preP: Uint8Array, preQ: Uint8Array): Uint8Array;
    finalExponentiation(a: Uint8Array): Uint8Array;
    pairingEq(...args: Point[]): Promise<boolean>;
    terminate(): Promise<void>;
  };

  export function buildBn128(singleThread?: boolean): Promise<BnCurve>;
}
