import type { Hex } from "viem";

/**
 * A tiny EVM assembler for generated contracts: the opcodes they use, stack-height tracking,
 * labels, and the init code that deploys a runtime.
 */

// --- assembler -------------------------------------------------------------------------------

export const OP = {
  ADD: 0x01,
  MOD: 0x06,
  ADDMOD: 0x08,
  MULMOD: 0x09,
  GT: 0x11,
  EQ: 0x14,
  AND: 0x16,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CODECOPY: 0x39,
  POP: 0x50,
  MLOAD: 0x51,
  MSTORE: 0x52,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  RETURN: 0xf3,
  REVERT: 0xfd,
} as const;

/** Stack effect (pushed minus popped) of the opcodes above. */
const EFFECT: Record<number, number> = {
  [OP.ADD]: -1,
  [OP.MOD]: -1,
  [OP.ADDMOD]: -2,
  [OP.MULMOD]: -2,
  [OP.GT]: -1,
  [OP.EQ]: -1,
  [OP.AND]: -1,
  [OP.CALLDATALOAD]: 0,
  [OP.CALLDATASIZE]: 1,
  [OP.CODECOPY]: -3,
  [OP.POP]: -1,
  [OP.MLOAD]: 0,
  [OP.MSTORE]: -2,
  [OP.JUMP]: -1,
  [OP.JUMPI]: -2,
  [OP.JUMPDEST]: 0,
  [OP.RETURN]: -2,
  [OP.REVERT]: -2,
};

/** A tiny assembler that tracks the stack height; q (= p) is kept at the bottom of the stack. */
export class Asm {
  readonly code: number[] = [];
  /** Stack height; the modulus q sits at height 1. */
  h = 0;
  private readonly labels = new Map<string, number>();
  private readonly fixups: { pos: number; label: string }[] = [];

  op(code: number): void {
    this.code.push(code);
    const effect = EFFECT[code];
    if (effect === undefined) throw new Error(`poseidonContract: unknown opcode ${code}`);
    this.h += effect;
  }

  push(value: bigint | number): void {
    let v = BigInt(value);
    if (v < 0n || v >= 1n << 256n) throw new Error("poseidonContract: push out of range");
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    this.code.push(0x5f + bytes.length, ...bytes);
    this.h += 1;
  }

  pushLabel(label: string): void {
    this.code.push(0x61, 0, 0);
    this.fixups.push({ pos: this.code.length - 2, label });
    this.h += 1;
  }

  label(label: string, height: number): void {
    this.labels.set(label, this.code.length);
    this.code.push(OP.JUMPDEST);
    this.h = height;
  }

  dup(n: number): void {
    if (n < 1 || n > 16 || n > this.h) throw new Error(`poseidonContract: DUP${n} at height ${this.h}`);
    this.code.push(0x7f + n);
    this.h += 1;
  }

  swap1(): void {
    this.code.push(0x90);
  }

  /** DUP of the modulus at the bottom of the stack. */
  dupQ(): void {
    this.dup(this.h);
  }

  /** DUP of the item at the given height (1 = bottom). */
  dupAt(height: number): void {
    this.dup(this.h - height + 1);
  }

  assemble(): number[] {
    for (const { pos, label } of this.fixups) {
      const target = this.labels.get(label);
      if (target === undefined) throw new Error(`poseidonContract: undefined label ${label}`);
      this.code[pos] = target >> 8;
      this.code[pos + 1] = target & 0xff;
    }
    return this.code;
  }
}

/** Init code that deploys `runtime` as the contract's code. */
export function initCode(runtime: number[]): Hex {
  // PUSH2 len DUP1 PUSH2 off PUSH1 0 CODECOPY PUSH1 0 RETURN <runtime>
  const n = runtime.length;
  const off = 13;
  const prefix = [
    0x61,
    n >> 8,
    n & 0xff,
    0x80,
    0x61,
    off >> 8,
    off & 0xff,
    0x60,
    0,
    OP.CODECOPY,
    0x60,
    0,
    OP.RETURN,
  ];
  const bytes = [...prefix, ...runtime];
  return `0x${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
