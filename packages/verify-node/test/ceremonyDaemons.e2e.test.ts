/**
 * The ceremony among real `opg-verify` daemons (3 verifiers, f = 1, real chain and libp2p):
 * each operator runs `opg-verify zk contribute` (the CLI, rebuilding the Iris circuit and using the
 * committed development ptau) and announces its contribution to its own daemon, which gossips it;
 * the other daemons check the announcement and fetch the zkey by hash from the contributor's HTTP
 * API, so the next contributor builds on it without any file copied by hand.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ceremonyDirOf } from "@opg/runtime";
import {
  DaemonProcess,
  daemonCliPath,
  deployLocalNetwork,
  HardhatNode,
  type LocalNetwork,
  waitFor,
} from "@opg/testkit";
import { type CeremonyTranscript, readTranscript, signAnnouncement, terminateZkEngine } from "@opg/zk";
import { DEV_PTAU_PATH, startCeremony } from "@opg/zk/toolchain";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildCircuit } from "../src/zk/ceremonyCommands.js";
import { type DaemonNode, prepareDaemonNode, startArgs } from "./helpers/daemonNodes.js";

const run = promisify(execFile);
const ONNX = fileURLToPath(new URL("../../zk/models/iris-mlp.onnx", import.meta.url));
const LISTING = keccak256(toHex("daemons-ceremony-listing"));

describe("ceremony among 3 opg-verify daemons: zkeys announced on gossip, fetched over HTTP by hash", () => {
  let chain: HardhatNode;
  let net: LocalNetwork;
  const verifiers: DaemonNode[] = [];
  const root = mkdtempSync(join(tmpdir(), "opg-ceremony-daemons-"));

  beforeAll(async () => {
    chain = await HardhatNode.start({ logFile: join(root, "chain.log") });
    net = await deployLocalNetwork({ rpcUrl: chain.rpcUrl, verifiers: 3, executors: 1, f: 1 });
    for (const [i, key] of net.verifierKeys.entries())
      verifiers.push(await prepareDaemonNode(root, "verify-node", i, key, net.deployment));
    for (const v of verifiers) {
      v.proc = new DaemonProcess("verify-node", startArgs(v, verifiers, chain.rpcUrl, []), {
        logFile: join(v.dir, "daemon.log"),
        httpUrl: v.http,
      });
    }
    await Promise.all(verifiers.map((v) => v.proc.start()));
    // The publisher's start (`opg-exec models add --zk`), handed to the first contributor.
    const circuit = await rebuildCircuit({ onnx: ONNX });
    await startCeremony({
      dir: ceremonyDirOf(join(verifiers[0]!.dir, "zk-ceremonies"), LISTING),
      listingId: LISTING,
      modelId: circuit.compiled.modelId as Hex,
      artifactKey: circuit.compiled.artifactKey,
      r1csPath: circuit.r1csPath,
      ptauPath: DEV_PTAU_PATH,
    });
    await circuit.cleanup();
  });

  afterAll(async () => {
    await Promise.all(verifiers.map((v) => v?.proc?.kill("SIGTERM")));
    chain?.stop();
    await terminateZkEngine();
  });

  /** `opg-verify --data-dir <v> zk contribute <listing> --onnx … [--from …] --announce-to <own daemon>`. */
  async function contributeCli(v: DaemonNode, extra: string[] = []) {
    const { stdout } = await run(
      process.execPath,
      [
        daemonCliPath("verify-node"),
        "--data-dir",
        v.dir,
        "zk",
        "contribute",
        LISTING,
        "--onnx",
        ONNX,
        "--announce-to",
        v.http,
        ...extra,
      ],
      {
        env: {
          ...process.env,
          OPG_CHAIN_RPC_URL: chain.rpcUrl,
          OPG_KEYSTORE_PASSWORD_FILE: "password",
          OPG_HTTP_PORT: new URL(v.http).port,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout) as {
      index: number;
      contributor: string;
      announced: { to: string; ok: boolean; answer: { status?: string } }[];
      fetched?: { from: string | null; contributions: number };
    };
  }

  const transcriptAt = async (v: DaemonNode): Promise<CeremonyTranscript | undefined> => {
    const res = await fetch(`${v.http}/v1/zk/ceremony/${LISTING}`);
    return res.ok ? ((await res.json()) as CeremonyTranscript) : undefined;
  };
  const allHold = (n: number) =>
    waitFor(
      `every daemon holds ${n} contribution(s)`,
      async () =>
        (await Promise.all(verifiers.map(transcriptAt))).every((t) => t?.contributions.length === n),
      { timeoutMs: 60_000 },
    );

  it("default: three contributions in sequence, each zkey travelling over the network", async () => {
    const [a, b, c] = verifiers as [DaemonNode, DaemonNode, DaemonNode];
    // A contributes on the ceremony it was handed; its daemon gossips; B and C fetch from A.
    const outA = await contributeCli(a);
    expect(outA.index).toBe(1);
    expect(outA.announced).toEqual([
      { to: a.http, ok: true, answer: expect.objectContaining({ status: "known" }) },
    ]);
    await allHold(1);

    // B builds on the zkey its daemon fetched (contribute runs `zkey verify` on it first).
    const outB = await contributeCli(b);
    expect(outB.index).toBe(2);
    await allHold(2);

    // C also asks A (`--from`): nothing newer there than what gossip already brought.
    const outC = await contributeCli(c, ["--from", a.http]);
    expect(outC).toMatchObject({ index: 3, fetched: { from: null, contributions: 2 } });
    await allHold(3);

    const t = await readTranscript(ceremonyDirOf(join(a.dir, "zk-ceremonies"), LISTING));
    expect(t.contributions.map((x) => x.contributor)).toEqual(
      net.verifierKeys.map((k) => privateKeyToAccount(k).address),
    );
  });

  it("error: a non-member's announcement is refused with its reason; the daemon keeps serving", async () => {
    const outsider = keccak256(toHex("not a verifier"));
    const t = (await transcriptAt(verifiers[0]!))!;
    const a = await signAnnouncement(
      {
        listingId: LISTING,
        index: t.contributions.length + 1,
        zkeySha256: "ab".repeat(32),
        zkeyBytes: 1000,
        contributor: privateKeyToAccount(outsider).address,
        url: verifiers[1]!.http,
      },
      outsider,
    );
    const res = await fetch(`${verifiers[0]!.http}/v1/zk/ceremony/announcements`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(a),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      error: { code: "CEREMONY_REFUSED", details: "NOT_A_VERIFIER" },
    });
    expect((await transcriptAt(verifiers[0]!))?.contributions.length).toBe(t.contributions.length);
  });
});
