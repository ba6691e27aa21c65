/**
 * pnpm bench:p2p — what gossip costs per message on opg's framing (no envelope signature, content
 * ids, a nonce), beside what gossipsub's strict signing cost before it and the signature work the
 * protocol itself needs, all measured in the same process.
 *
 * Per message (CPU, this thread), on a 232-byte result header (what the results topic carries):
 * - now: the publisher frames the message (`frameGossip`: a random nonce, one copy) and names it;
 *   every receiver names each message (`gossipMessageId`: one sha256) and strips the nonce;
 * - before (opg's gossip version 1, `StrictSign`): the publisher signed the protobuf envelope
 *   (Ed25519, with a key object built once, as opg's signer did; @libp2p/crypto's own signer
 *   rebuilds it every call) and every receiver checked that signature (@libp2p/crypto's `verify`,
 *   as gossipsub ran it), on about 330 bytes;
 * - beside them, one secp256k1 signature recovery (native, as the verifier's pipeline runs two per
 *   result) and one EIP-712 signature (what the executor signs each result with).
 *
 * Prints a table and writes bench-results/p2p.json. docs/scaling.md uses these figures.
 */
import { createHash, createPrivateKey, sign } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Message } from "@libp2p/gossipsub";
import { gossipTopics, secp256k1Backend } from "@opg/protocol";
import { frameGossip, unframeGossip } from "../src/gossipFrame.js";
import { gossipMessageId } from "../src/gossipMessageId.js";

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

const topic = gossipTopics(31337).results;
const header = new Uint8Array(232).map((_, i) => (i * 13) & 0xff);
const framed = frameGossip(header);

// Version 1's envelope: "libp2p-pubsub:" ‖ protobuf(from 38 B, data 232 B, seqno 8 B, topic ~25 B).
const key = await generateKeyPair("Ed25519");
const keyObject = createPrivateKey({
  format: "jwk",
  key: {
    kty: "OKP",
    crv: "Ed25519",
    d: Buffer.from(key.raw.subarray(0, 32)).toString("base64url"),
    x: Buffer.from(key.publicKey.raw).toString("base64url"),
  },
});
const envelope = new Uint8Array(330).map((_, i) => (i * 7) & 0xff);
const signature = sign(null, envelope, keyObject);
if (!(await key.publicKey.verify(envelope, signature)))
  throw new Error("the envelope signature does not verify");

const bytes32 = (seed: string) => new Uint8Array(createHash("sha256").update(seed).digest());
const digest = bytes32("opg/bench/digest");
const secpKey = bytes32("opg/bench/key");
const secp = secp256k1Backend.sign(digest, secpKey);

const figures: Record<string, number | string> = {
  secp256k1_backend: secp256k1Backend.name,
  // A new message object each call, as gossipsub builds one per message (ids are memoised per object).
  publish_frame_and_id_us: await cpuMicros(() =>
    gossipMessageId({ type: "unsigned", topic, data: frameGossip(header) } as Message),
  ),
  receive_id_and_unframe_us: await cpuMicros(() => {
    gossipMessageId({ type: "unsigned", topic, data: framed } as Message);
    return unframeGossip(framed);
  }),
  v1_envelope_sign_us_cached_key: await cpuMicros(() => sign(null, envelope, keyObject)),
  v1_envelope_sign_us_library: await cpuMicros(() => key.sign(envelope)),
  v1_envelope_verify_us: await cpuMicros(() => key.publicKey.verify(envelope, signature)),
  secp256k1_recover_us: await cpuMicros(() => secp256k1Backend.recover(secp.signature, secp.recid, digest)),
  secp256k1_sign_us: await cpuMicros(() => secp256k1Backend.sign(digest, secpKey)),
};
for (const [k, v] of Object.entries(figures)) if (typeof v === "number") figures[k] = Number(v.toFixed(1));
const saved = (now: string, before: string) =>
  `${((figures[before] as number) - (figures[now] as number)).toFixed(1)} µs saved per message`;

const us = (k: string) => `${String(figures[k]).padStart(7)} µs`;
process.stdout.write(
  [
    "gossip per message (CPU of one thread), opg's framing (no envelope signature, content ids, nonce):",
    `  publish: nonce, copy, sha256 id             ${us("publish_frame_and_id_us")}`,
    `  receive: sha256 id, nonce stripped          ${us("receive_id_and_unframe_us")}`,
    "before it, gossipsub strict signing (opg gossip version 1), same run:",
    `  publish: Ed25519 sign, key object kept ${us("v1_envelope_sign_us_cached_key")} (@libp2p/crypto's signer ${us("v1_envelope_sign_us_library")}); ${saved("publish_frame_and_id_us", "v1_envelope_sign_us_cached_key")}`,
    `  receive: Ed25519 verify                ${us("v1_envelope_verify_us")}; ${saved("receive_id_and_unframe_us", "v1_envelope_verify_us")}`,
    `beside it, the protocol's own signatures (secp256k1, ${figures["secp256k1_backend"]}):`,
    `  one recovery ${us("secp256k1_recover_us")} (the verifier runs two per result); one signature ${us("secp256k1_sign_us")} (the executor signs each result)`,
    "",
  ].join("\n"),
);
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
writeFileSync(join(ROOT, "bench-results", "p2p.json"), `${JSON.stringify(figures, null, 2)}\n`);
