import { randomFillSync } from "node:crypto";
import { ValidationError } from "@opg/protocol";

/** Bytes of the random nonce that opens every gossip message's data (docs/protocol.md, "Gossip"). */
export const GOSSIP_NONCE_BYTES = 8;

/** Random bytes drawn a page at a time (one draw costs about as much as a page's worth of nonces). */
const pool = new Uint8Array(4096);
let poolOffset = pool.byteLength;

/**
 * A gossip message's data: a fresh random nonce ‖ the opg message. Message ids are content
 * hashes (`gossipMessageId`), and honest nodes publish the same message again on purpose
 * (executors their open results, verifiers their proposals and signatures): the nonce makes each
 * publication a message of its own, which gossipsub would otherwise drop as seen.
 */
export function frameGossip(message: Uint8Array): Uint8Array {
  const data = new Uint8Array(GOSSIP_NONCE_BYTES + message.byteLength);
  if (poolOffset === pool.byteLength) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  data.set(pool.subarray(poolOffset, poolOffset + GOSSIP_NONCE_BYTES), 0);
  poolOffset += GOSSIP_NONCE_BYTES;
  data.set(message, GOSSIP_NONCE_BYTES);
  return data;
}

/** The opg message in a gossip message's data (a view, no copy); REJECT when no nonce opens it. */
export function unframeGossip(data: Uint8Array): Uint8Array {
  if (data.byteLength < GOSSIP_NONCE_BYTES) {
    throw new ValidationError("REJECT", "BAD_FRAME", "Gossip message is shorter than its nonce.", {
      meta: { bytes: data.byteLength },
    });
  }
  return data.subarray(GOSSIP_NONCE_BYTES);
}
