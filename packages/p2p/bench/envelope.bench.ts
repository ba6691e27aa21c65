/**
 * pnpm bench:p2p — what gossipsub's strict signing costs per message, beside the signature work
 * the protocol itself needs, measured in the same process.
 *
 * Every gossip message carries its author's Ed25519 signature over the protobuf envelope
 * (`StrictSign`): the publisher signs each message it publishes, and every receiver checks the
 * signature of each new message before the topic's validator sees it. Measured per message (CPU,
 * this thread), on envelope-sized bytes (a 232-byte result header with from, seqno and topic):
 * - signing: @libp2p/crypto's own signer (it rebuilds the key object every call) and opg's cached
 *   signer (`withCachedSigner`, what opg-exec and opg-verify publish with);
 * - checking: @libp2p/crypto's `verify`, which gossipsub runs for every new message;
 * - beside them, one secp256k1 signature recovery (native, as the verifier's pipeline runs two per
 *   result) and one EIP-712 signature (what the executor signs each result with).
 *
 * Prints a table and writes bench-results/p2p.json. docs/scaling.md uses these figures.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { secp256k1Backend } from "@opg/protocol";
import { withCachedSigner } from "../src/cachedSigningKey.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** CPU µs per call of `fn` (this thread), over at least `minMs` of CPU after a warm-up. */
async function cpuMicros(fn: () => unknown, minMs = 600): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  const cpu = () => {
    const c = process.threadCpuUsage();
    return c.user + c.system;
  };
  const c0 = cpu();
  let n = 0;
  while (cpu() - c0 < minMs * 1000) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return (cpu() - c0) / n;
}

const key = await generateKeyPair("Ed25519");
const cached = withCachedSigner(key);
// "libp2p-pubsub:" ‖ protobuf(from 38 B, data 232 B, seqno 8 B, topic ~25 B): about 330 bytes.
const envelope = new Uint8Array(330).map((_, i) => (i * 7) & 0xff);
const signature = await cached.sign(envelope);
if (!(await key.publicKey.verify(envelope, signature)))
  throw new Error("the cached signer's signature does not verify");

const bytes32 = (seed: string) => new Uint8Array(createHash("sha256").update(seed).digest());
const digest = bytes32("opg/bench/digest");
const secpKey = bytes32("opg/bench/key");
const secp = secp256k1Backend.sign(digest, secpKey);

const figures: Record<string, number | string> = {
  secp256k1_backend: secp256k1Backend.name,
  envelope_sign_us_library: await cpuMicros(() => key.sign(envelope)),
  envelope_sign_us_cached: await cpuMicros(() => cached.sign(envelope)),
  envelope_verify_us: await cpuMicros(() => key.publicKey.verify(envelope, signature)),
  secp256k1_recover_us: await cpuMicros(() => secp256k1Backend.recover(secp.signature, secp.recid, digest)),
  secp256k1_sign_us: await cpuMicros(() => secp256k1Backend.sign(digest, secpKey)),
};
for (const [k, v] of Object.entries(figures)) if (typeof v === "number") figures[k] = Number(v.toFixed(1));

const us = (k: string) => `${String(figures[k]).padStart(7)} µs`;
process.stdout.write(
  [
    "gossipsub strict signing, per message (CPU of one thread):",
    `  publish: Ed25519 sign, @libp2p/crypto's signer ${us("envelope_sign_us_library")}; opg's cached signer ${us("envelope_sign_us_cached")}`,
    `  receive: Ed25519 verify (gossipsub, every new message)  ${us("envelope_verify_us")}`,
    `beside it, the protocol's own signatures (secp256k1, ${figures["secp256k1_backend"]}):`,
    `  one recovery ${us("secp256k1_recover_us")} (the verifier runs two per result); one signature ${us("secp256k1_sign_us")} (the executor signs each result)`,
    "",
  ].join("\n"),
);
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
writeFileSync(join(ROOT, "bench-results", "p2p.json"), `${JSON.stringify(figures, null, 2)}\n`);
