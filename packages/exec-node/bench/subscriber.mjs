// A results-topic subscriber in its own process (as a verifier would be), for exec.bench.ts:
// prints its multiaddr, then counts what it receives; exits when stdin closes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { P2PNode } from "../../p2p/dist/index.js";
import { decodeResultMessage } from "../../protocol/dist/index.js";

const node = new P2PNode({
  chainId: Number(process.argv[2] ?? 31337),
  peerKeyPath: join(mkdtempSync(join(tmpdir(), "opg-bench-sub-")), "peer.key"),
  listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
  gossip: { heartbeatIntervalMs: 100 },
});
let received = 0;
node.subscribe(node.topics.results, decodeResultMessage, () => {
  received++;
});
await node.start();
process.stdout.write(`${node.multiaddrs[0].toString()}\n`);
process.stdin.on("end", async () => {
  process.stderr.write(`received ${received}\n`);
  await node.stop();
  process.exit(0);
});
process.stdin.resume();
