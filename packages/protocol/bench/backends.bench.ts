/**
 * pnpm bench:protocol — the protocol's hash and signature backends: what Node runs (native
 * bindings installed by the Node entry point) next to the pure-JS backends every other runtime
 * (browsers) runs, measured in the same process.
 *
 * Prints a table and writes bench-results/protocol.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  jsKeccakBackend,
  jsSha256Backend,
  keccakBackend,
  nobleSecp256k1Backend,
  secp256k1Backend,
  sha256Backend,
} from "@opg/protocol";
import { hexToBytes, keccak256, toHex } from "viem";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Operations per second of `fn`, over at least `minMs`. */
function rate(fn: () => void, minMs = 400): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

const figures: Record<string, number | string> = {
  keccak_backend: keccakBackend.name,
  secp256k1_backend: secp256k1Backend.name,
  sha256_backend: sha256Backend.name,
};
const MB = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
figures["keccak_native_mb_per_s"] = Math.round(rate(() => keccakBackend.hash(MB)));
figures["keccak_js_mb_per_s"] = Math.round(rate(() => jsKeccakBackend.hash(MB)));
figures["sha256_native_mb_per_s"] = Math.round(rate(() => sha256Backend.hash(MB)));
figures["sha256_js_mb_per_s"] = Math.round(rate(() => jsSha256Backend.hash(MB)));
const digest = hexToBytes(keccak256(toHex("opg/bench/digest")));
const key = hexToBytes(keccak256(toHex("opg/bench/key")));
const { signature, recid } = secp256k1Backend.sign(digest, key);
figures["recover_native_per_s"] = Math.round(rate(() => secp256k1Backend.recover(signature, recid, digest)));
figures["recover_js_per_s"] = Math.round(rate(() => nobleSecp256k1Backend.recover(signature, recid, digest)));

const rows: [string, number | string, number | string][] = [
  ["keccak256 of 1 MB (MB/s)", figures["keccak_native_mb_per_s"]!, figures["keccak_js_mb_per_s"]!],
  ["sha256 of 1 MB (MB/s)", figures["sha256_native_mb_per_s"]!, figures["sha256_js_mb_per_s"]!],
  ["secp256k1 recoveries/s", figures["recover_native_per_s"]!, figures["recover_js_per_s"]!],
];
process.stdout.write(
  `backends under Node: keccak ${keccakBackend.name}, secp256k1 ${secp256k1Backend.name}, sha256 ${sha256Backend.name}\n`,
);
for (const [what, native, js] of rows) {
  process.stdout.write(
    `${what.padEnd(28)} Node (native) ${String(native).padStart(8)}   pure JS (browsers) ${String(js).padStart(8)}   ×${(Number(native) / Number(js)).toFixed(1)}\n`,
  );
}
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
writeFileSync(join(ROOT, "bench-results", "protocol.json"), `${JSON.stringify(figures, null, 2)}\n`);
