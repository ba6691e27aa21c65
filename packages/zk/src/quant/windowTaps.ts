import type { ZkWindow } from "../compiler/ZkModelSpec.js";

/** One output position of a window op: channel, row, column and its flat index. */
export type WindowOutput = { c: number; i: number; j: number; index: number };

/**
 * Visit every output of a 2-D window op in row-major order with its taps: [input index, weight
 * index] for each kernel position inside the input (zero padding is skipped). A convolution
 * (`conv`) reads every input channel (weight index ((o·C + c)·kh + ky)·kw + kx); pooling reads
 * its own channel (weight index ky·kw + kx).
 */
export function windowTaps(
  win: ZkWindow,
  conv: boolean,
  visit: (o: WindowOutput, taps: [number, number][]) => void,
): void {
  const [inC, h, w] = win.inShape;
  const [outC, oh, ow] = win.outShape;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [pt, pl] = win.pads;
  let index = 0;
  for (let c = 0; c < outC; c++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const taps: [number, number][] = [];
        const channels = conv ? inC : 1;
        for (let ic = 0; ic < channels; ic++) {
          const ch = conv ? ic : c;
          for (let ky = 0; ky < kh; ky++) {
            const y = i * sh + ky - pt;
            if (y < 0 || y >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const x = j * sw + kx - pl;
              if (x < 0 || x >= w) continue;
              const wi = conv ? ((c * inC + ic) * kh + ky) * kw + kx : ky * kw + kx;
              taps.push([(ch * h + y) * w + x, wi]);
            }
          }
        }
        visit({ c, i, j, index }, taps);
        index++;
      }
    }
  }
}
