import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { OpgDeployment } from "@opg/contracts";
import { loadOrCreatePeerKey } from "@opg/p2p";
import { type DaemonProcess, freePort, prepareNodeDir } from "@opg/testkit";
import type { Hex } from "viem";

/** One daemon of a small test network, run as its own process. */
export type DaemonNode = { proc: DaemonProcess; http: string; dir: string; p2p: string };

/** A data dir for `key` under `root` (keystore, deployment, peer key) and free ports. */
export async function prepareDaemonNode(
  root: string,
  kind: string,
  i: number,
  key: Hex,
  deployment: OpgDeployment,
): Promise<DaemonNode> {
  const dir = join(root, `${kind}-${i}`);
  await prepareNodeDir(dir, key, deployment);
  const { privateKey } = await loadOrCreatePeerKey(join(dir, "peer.key"));
  const port = await freePort();
  return {
    dir,
    http: `http://127.0.0.1:${await freePort()}`,
    p2p: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(privateKey).toString()}`,
    proc: undefined as unknown as DaemonProcess,
  };
}

/** The `start` command line of `node`, peered with every other node of `all`. */
export function startArgs(node: DaemonNode, all: DaemonNode[], rpcUrl: string, extra: string[]): string[] {
  return [
    "--data-dir",
    node.dir,
    "start",
    "--keystore.password-file",
    "password",
    "--http.port",
    new URL(node.http).port,
    "--chain.rpc-url",
    rpcUrl,
    "--chain.poll-interval-ms",
    "200",
    "--p2p.listen",
    `/ip4/127.0.0.1/tcp/${node.p2p.split("/")[4]!}`,
    "--p2p.peers",
    ...all.filter((p) => p !== node).map((p) => p.p2p),
    "--p2p.heartbeat-ms",
    "200",
    "--log.format",
    "json",
    ...extra,
  ];
}
