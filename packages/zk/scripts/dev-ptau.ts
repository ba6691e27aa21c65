/**
 * Generates a development powers-of-tau (NOT secure; see generateDevPtau).
 *
 *   tsx scripts/dev-ptau.ts <power> <out.ptau>
 *
 * The committed circuits/ptau/opg-dev-11.ptau was made with `tsx scripts/dev-ptau.ts 11 ../../circuits/ptau/opg-dev-11.ptau`.
 */
import { generateDevPtau } from "../src/pipeline/generateDevPtau.js";

const power = Number(process.argv[2]);
const out = process.argv[3];
if (!out || !Number.isInteger(power)) {
  console.error("usage: tsx scripts/dev-ptau.ts <power> <out.ptau>");
  process.exit(2);
}
const t0 = performance.now();
await generateDevPtau(power, out);
console.log(`wrote ${out} (2^${power}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
