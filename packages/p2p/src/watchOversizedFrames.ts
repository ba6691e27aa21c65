import type { PeerId } from "@libp2p/interface";

type ReadStreamErrorHook = { handlePeerReadStreamError?: (err: unknown, peerId: PeerId) => void };

/**
 * Calls `onOversized(peerId)` whenever gossipsub drops a peer's inbound stream because a frame
 * exceeded `maxInboundDataLength` (it-length-prefixed's `InvalidDataLengthError`). Gossipsub
 * itself only logs that and re-accepts the next stream, so the sender would pay nothing.
 * Hooks gossipsub's `handlePeerReadStreamError` (kept overridable "to spy on the error
 * handling"); returns false when this gossipsub has no such hook.
 */
export function watchOversizedFrames(pubsub: unknown, onOversized: (peerId: PeerId) => void): boolean {
  const target = pubsub as ReadStreamErrorHook;
  const original = target.handlePeerReadStreamError;
  if (typeof original !== "function") return false;
  target.handlePeerReadStreamError = function (this: unknown, err: unknown, peerId: PeerId): void {
    if (isOversized(err)) onOversized(peerId);
    original.call(this, err, peerId);
  };
  return true;
}

function isOversized(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === "InvalidDataLengthError" || e.name === "InvalidDataLengthLengthError") return true;
  }
  return false;
}
