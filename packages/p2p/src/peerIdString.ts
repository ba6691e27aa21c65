import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";

/** The PeerId (`12D3Koo…`) of a libp2p identity key, as it appears in `/p2p/…` multiaddrs. */
export function peerIdString(privateKey: PrivateKey): string {
  return peerIdFromPrivateKey(privateKey).toString();
}
