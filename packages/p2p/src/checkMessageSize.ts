import { ValidationError } from "@opg/protocol";

/** Our own size cap, checked before a validator sees the bytes (and before publishing). */
export function checkMessageSize(data: Uint8Array, maxBytes: number): void {
  if (data.length > maxBytes) {
    throw new ValidationError("REJECT", "MESSAGE_TOO_LARGE", "Gossip message exceeds the topic's size cap.", {
      meta: { bytes: data.length, maxBytes },
    });
  }
}
