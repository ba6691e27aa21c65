// The devnet's libp2p identities. Each daemon's peer key is derived from its service name, so
// docker/compose.yml can name every peer statically (`/dns4/<service>/tcp/<port>/p2p/<peerId>` in
// OPG_P2P_PEERS) and the deployer writes the matching key into the daemon's data dir. These keys
// are public by construction, like the dev chain's mnemonic: for the devnet only, never elsewhere.
import { createHash } from "node:crypto";

/** What the seed of a service's key is derived from: `sha256(PEER_KEY_SEED_PREFIX + service)`. */
export const PEER_KEY_SEED_PREFIX = "opg-devnet/peer-key/";

/** The 32-byte Ed25519 seed of `service`'s libp2p key (e.g. `exec-0`). */
export function peerKeySeed(service) {
  return new Uint8Array(createHash("sha256").update(`${PEER_KEY_SEED_PREFIX}${service}`).digest());
}
