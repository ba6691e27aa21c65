// Minimal typings for the parts of snarkjs 0.7 that @opg/zk uses (snarkjs ships no types).
declare module "snarkjs" {
  /** A fastfile descriptor: a path, or an in-memory buffer (`{ type: "mem", data }`). */
  export type FastFile = string | { type: "mem"; data?: Uint8Array };

  export type Groth16Proof = import("../proof/snarkjsTypes.js").SnarkjsGroth16Proof;
  export type Groth16VerificationKey = import("../proof/snarkjsTypes.js").Groth16VerificationKey;

  export type Logger = {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  };

  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasm: FastFile,
      zkey: FastFile,
      logger?: Logger,
      wtnsCalcOptions?: unknown,
      proverOptions?: { singleThread?: boolean },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(
      zkey: FastFile,
      witness: FastFile,
      logger?: Logger,
      options?: { singleThread?: boolean },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(
      vk: Groth16VerificationKey,
      publicSignals: (string | bigint)[],
      proof: Groth16Proof,
      logger?: Logger,
    ): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: string[]): Promise<string>;
  };

  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: Logger): Promise<unknown>;
    contribute(
      oldPtau: string,
      newPtau: string,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<unknown>;
  };

  export const zKey: {
    newZKey(r1cs: FastFile, ptau: FastFile, zkey: FastFile, logger?: Logger): Promise<unknown>;
    beacon(
      oldZkey: FastFile,
      newZkey: FastFile,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    /** Returns the 64-byte blake2b contribution hash. */
    contribute(
      oldZkey: FastFile,
      newZkey: FastFile,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<Uint8Array>;
    /** Checks every contribution of `zkey` against a fresh phase-2 start from `r1cs` and `ptau`. */
    verifyFromR1cs(r1cs: FastFile, ptau: FastFile, zkey: FastFile, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: FastFile, logger?: Logger): Promise<Groth16VerificationKey>;
    exportSolidityVerifier(zkey: FastFile, templates: { groth16: string }, logger?: Logger): Promise<string>;
  };

  export const wtns: {
    calculate(
      input: Record<string, unknown>,
      wasm: FastFile,
      wtns: FastFile,
      options?: unknown,
    ): Promise<void>;
    check(r1cs: FastFile, wtns: FastFile, logger?: Logger): Promise<boolean>;
    exportJson(wtns: FastFile): Promise<bigint[]>;
  };

  export const r1cs: {
    info(
      r1cs: FastFile,
      logger?: Logger,
    ): Promise<{
      nConstraints: number;
      nVars: number;
      nOutputs: number;
      nPubInputs: number;
      nPrvInputs: number;
    }>;
  };

  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<unknown>;
  };
}
