import { buildPoseidon, type Poseidon } from "circomlibjs";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIELD_ORDER } from "../src/index.js";
import { poseidonExBytecode } from "../src/toolchain.js";
import { type InProcessEvm, startInProcessEvm } from "./evm.js";

const P = FIELD_ORDER;
const N_MAX = 16;

/** Deterministic pseudo-random field elements (xorshift over 64-bit lanes). */
function rng(seed: number): () => bigint {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  const next64 = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return s & 0xffffffffffffffffn;
  };
  return () => {
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 64n) | next64();
    return v % P;
  };
}

const word = (v: bigint) => v.toString(16).padStart(64, "0");
const calldata = (words: readonly bigint[]): Hex => `0x${words.map(word).join("")}`;

describe("poseidonExBytecode", () => {
  let evm: InProcessEvm;
  let poseidon: Poseidon;
  const addresses = new Map<number, Hex>();

  const call = async (n: number, data: Hex): Promise<bigint> => {
    const to = addresses.get(n);
    const ret = (await evm.provider.request({
      method: "eth_call",
      params: [{ from: evm.from, to, data }, "latest"],
    })) as Hex;
    expect(ret.length).toBe(66);
    return BigInt(ret);
  };
  const expected = (words: readonly bigint[]): bigint =>
    poseidon.F.toObject(poseidon(words.slice(1), words[0], 1));

  beforeAll(async () => {
    [evm, poseidon] = await Promise.all([startInProcessEvm(), buildPoseidon()]);
    for (let n = 1; n <= N_MAX; n++) {
      const code = poseidonExBytecode(n);
      expect((code.length - 2) / 2).toBeLessThanOrEqual(24_576 + 13); // EIP-170 runtime + loader
      addresses.set(n, (await evm.deploy(code)).address);
    }
  }, 60_000);
  afterAll(async () => {
    await evm?.close();
  });

  it("rejects unsupported input counts", () => {
    for (const n of [0, 17, 1.5, -1]) expect(() => poseidonExBytecode(n)).toThrow(RangeError);
  });

  it("matches circomlibjs poseidon(inputs, initState, 1) for 1..16 inputs", async () => {
    for (let n = 1; n <= N_MAX; n++) {
      const rand = rng(n);
      const cases: bigint[][] = [
        Array.from({ length: n + 1 }, () => 0n),
        Array.from({ length: n + 1 }, () => P - 1n),
        Array.from({ length: n + 1 }, (_, i) => BigInt(i)),
      ];
      for (let k = 0; k < 4; k++) cases.push(Array.from({ length: n + 1 }, rand));
      for (const words of cases) expect(await call(n, calldata(words)), `n=${n}`).toBe(expected(words));
    }
  });

  it("chains like commitVector: h_k = PoseidonEx(block_k, h_(k-1))", async () => {
    const rand = rng(99);
    let h = 0n;
    let onchain = 0n;
    for (const n of [16, 16, 5]) {
      const block = Array.from({ length: n }, rand);
      h = expected([h, ...block]);
      onchain = await call(n, calldata([onchain, ...block]));
    }
    expect(onchain).toBe(h);
  });

  it("reverts on a wrong calldata length or a word >= p", async () => {
    const revertsFor = async (n: number, data: Hex) => {
      const to = addresses.get(n);
      await expect(
        evm.provider.request({ method: "eth_call", params: [{ from: evm.from, to, data }, "latest"] }),
        `n=${n} ${data.slice(0, 20)}… (${(data.length - 2) / 2} bytes)`,
      ).rejects.toThrow();
    };
    for (const n of [1, 2, 7, 16]) {
      const words = Array.from({ length: n + 1 }, rng(1000 + n));
      const ok = calldata(words);
      await call(n, ok);
      await revertsFor(n, "0x");
      await revertsFor(n, calldata(words.slice(0, n))); // one word short
      await revertsFor(n, calldata([...words, 0n])); // one word too many
      await revertsFor(n, `${ok}00`); // one byte too many
      await revertsFor(n, ok.slice(0, -2) as Hex); // one byte short
      await revertsFor(n, `0x12345678${ok.slice(2)}`); // a selector in front
      for (const i of [0, 1, n]) {
        for (const bad of [P, P + 1n, (1n << 256n) - 1n]) {
          const w = words.slice();
          w[i] = bad;
          await revertsFor(n, calldata(w));
        }
      }
    }
  });
});
