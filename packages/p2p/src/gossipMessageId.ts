import { publicKeyToProtobuf } from "@libp2p/crypto/keys";
import type { Message } from "@libp2p/gossipsub";

/**
 * Gossipsub's message id under strict signing (its default function, given to it explicitly so
 * that the validation pipeline can name a message before gossipsub hands it the id): the
 * author's public key (protobuf) followed by the 8-byte big-endian sequence number.
 */
export function gossipMessageId(msg: Message): Uint8Array {
  if (msg.type !== "signed") {
    throw new TypeError("Gossip runs with strict signing: only a signed message has an id.");
  }
  const key = publicKeyToProtobuf(msg.from.publicKey ?? msg.key);
  const id = new Uint8Array(key.byteLength + 8);
  id.set(key, 0);
  new DataView(id.buffer).setBigUint64(key.byteLength, msg.sequenceNumber, false);
  return id;
}

/** The string form of a message id, as gossipsub keys its caches and score records. */
export function gossipMessageIdString(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("base64");
}
