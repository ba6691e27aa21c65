import { createHash } from "node:crypto";
import type { Message } from "@libp2p/gossipsub";

/** Bytes of a gossip message id: sha256 cut to 160 bits, as Ethereum's consensus layer does. */
const ID_BYTES = 20;
/** Ids already computed, per message object (gossipsub names a message, then our validator asks). */
const ids = new WeakMap<Message, Uint8Array>();
/** Each topic's prefix of the hashed bytes (its length, 4 bytes big-endian ‖ the topic). */
const prefixes = new Map<string, Buffer>();

function prefixOf(topic: string): Buffer {
  let prefix = prefixes.get(topic);
  if (prefix === undefined) {
    const name = Buffer.from(topic, "utf8");
    prefix = Buffer.alloc(4 + name.byteLength);
    prefix.writeUInt32BE(name.byteLength);
    name.copy(prefix, 4);
    // Only our own topics are named here (gossipsub drops others first); bounded all the same.
    if (prefixes.size < 64) prefixes.set(topic, prefix);
  }
  return prefix;
}

/**
 * Gossip runs without envelope signatures (`StrictNoSign`: no author, no sequence number; every
 * opg message carries its own secp256k1 signature), so a message is named by its content:
 * sha256(topic length, 4 bytes big-endian ‖ topic ‖ data)[0..20], where data opens with the
 * publisher's random nonce (`frameGossip`), so a message published again is a new message.
 */
export function gossipMessageId(msg: Message): Uint8Array {
  let id = ids.get(msg);
  if (id === undefined) {
    const digest = createHash("sha256").update(prefixOf(msg.topic)).update(msg.data).digest();
    id = new Uint8Array(digest.buffer, digest.byteOffset, ID_BYTES);
    ids.set(msg, id);
  }
  return id;
}

/** The string form of a message id, as gossipsub keys its caches and score records. */
export function gossipMessageIdString(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("base64");
}
