/**
 * The phase-2 ceremony over the network: three verifier nodes (real HTTP servers with the
 * verifier's ceremony routes and announcement intake) contribute in sequence with real snarkjs on
 * the committed Iris circuit and the committed development ptau; each zkey travels from node to
 * node by its hash. Hostile announcements and servers are refused with a clear error while the
 * nodes keep serving.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, HttpServer } from "@opg/daemon";
import { ceremonyDirOf, mountCeremonyRoutes } from "@opg/runtime";
import {
  type CeremonyAnnouncement,
  CeremonyRefusedError,
  ceremonyZkeyPath,
  contributionDigest,
  EXAMPLE_ARTIFACTS_DIR,
  fetchCeremony,
  latestZkeySha256,
  readTranscript,
  signAnnouncement,
  terminateZkEngine,
} from "@opg/zk";
import {
  closeCeremony,
  contribute,
  DEV_PTAU_PATH,
  startCeremony,
  verifyCeremony,
  verifyZkey,
} from "@opg/zk/toolchain";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CeremonyAnnouncements } from "../src/zk/CeremonyAnnouncements.js";

const keys = [1, 2, 3, 4].map((i) => keccak256(toHex(`net-ceremony-verifier-${i}`)));
const signers = keys.map((k) => ({ address: privateKeyToAccount(k).address, privateKey: k }));
const verifierSet = signers.slice(0, 3).map((s) => s.address);
const outsider = signers[3]!;
const LISTING = keccak256(toHex("net-ceremony-listing"));
const ARTIFACTS = join(EXAMPLE_ARTIFACTS_DIR, "75fbc01bc7431ef6468f4dd4e81299f0");
const r1csPath = join(ARTIFACTS, "circuit.r1cs");
const ptauPath = DEV_PTAU_PATH;
const MAX_ZKEY_BYTES = 8 * 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

type Node = { root: string; http: HttpServer; url: string };
const nodes: Node[] = [];
const temp: string[] = [];
const extraServers: Server[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "opg-net-ceremony-"));
  temp.push(d);
  return d;
}

/** A verifier node's ceremony side: its routes and announcement intake on a real HTTP server. */
async function startNode(maxZkeyBytes = MAX_ZKEY_BYTES): Promise<Node> {
  const root = await tempDir();
  const http = new HttpServer({ port: 0 }, { logger: createLogger({ level: "silent" }) });
  mountCeremonyRoutes(http, {
    root,
    onAnnouncement: new CeremonyAnnouncements({
      root,
      verifierSet: async () => verifierSet,
      maxZkeyBytes,
    }).receive,
  });
  await http.start();
  const node = { root, http, url: http.url() };
  nodes.push(node);
  return node;
}

async function post(url: string, a: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/zk/ceremony/announcements`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(a),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What `opg-verify zk contribute` does after contributing: sign an announcement of the new zkey. */
async function announcementOf(node: Node, who: (typeof signers)[number]): Promise<CeremonyAnnouncement> {
  const dir = ceremonyDirOf(node.root, LISTING);
  const t = await readTranscript(dir);
  const sha = latestZkeySha256(t);
  return signAnnouncement(
    {
      listingId: LISTING,
      index: t.contributions.length,
      zkeySha256: sha,
      zkeyBytes: (await readFile(ceremonyZkeyPath(dir, sha))).length,
      contributor: who.address,
      url: node.url,
    },
    who.privateKey,
  );
}

const healthy = async (n: Node) => (await fetch(`${n.url}/health`)).status === 200;

let publisher: Node;
let a: Node;
let b: Node;
let c: Node;

beforeAll(async () => {
  // The publisher's node (`opg-exec models add --zk`) serves the started ceremony.
  publisher = await startNode();
  await startCeremony({
    dir: ceremonyDirOf(publisher.root, LISTING),
    listingId: LISTING,
    modelId: keccak256(toHex("iris")),
    artifactKey: "75fbc01bc7431ef6468f4dd4e81299f0",
    r1csPath,
    ptauPath,
  });
  a = await startNode();
  b = await startNode();
  c = await startNode();
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.http.stop()));
  for (const s of extraServers) s.close();
  await Promise.all(temp.map((d) => rm(d, { recursive: true, force: true })));
  await terminateZkEngine();
});

describe("ceremony over the network", () => {
  it("three verifiers contribute in sequence; each zkey travels by hash and is checked", async () => {
    // 1. Verifier A fetches the started ceremony (`--from <publisher>`), checks it with `zkey
    //    verify`, contributes and announces to B and C, which fetch its zkey from A by hash.
    const dirA = ceremonyDirOf(a.root, LISTING);
    const got = await fetchCeremony({
      dir: dirA,
      listingId: LISTING,
      sources: [publisher.url],
      verifierSet,
      maxZkeyBytes: MAX_ZKEY_BYTES,
      verify: { r1csPath, ptauPath, verifyZkey },
    });
    expect(got).toMatchObject({ fetched: true, source: publisher.url, contributions: 0 });
    await contribute({ dir: dirA, r1csPath, ptauPath, signer: signers[0]!, blockNumber: 10n });
    const annA = await announcementOf(a, signers[0]!);
    for (const peer of [b, c]) {
      const r = await post(peer.url, annA);
      expect(r).toMatchObject({ status: 200, body: { status: "stored", index: 1 } });
    }
    expect((await post(b.url, annA)).body).toMatchObject({ status: "known" });

    // 2. Verifier B builds on the zkey it holds from A (contribute checks it with `zkey verify`).
    const dirB = ceremonyDirOf(b.root, LISTING);
    await contribute({ dir: dirB, r1csPath, ptauPath, signer: signers[1]!, blockNumber: 11n });
    const annB = await announcementOf(b, signers[1]!);
    expect((await post(a.url, annB)).status).toBe(200);

    // 3. Verifier C missed B's announcement: it fetches the newer step from A (`--from`), which
    //    serves B's zkey by hash now, and contributes.
    const dirC = ceremonyDirOf(c.root, LISTING);
    const gotC = await fetchCeremony({
      dir: dirC,
      listingId: LISTING,
      sources: [a.url],
      verifierSet,
      maxZkeyBytes: MAX_ZKEY_BYTES,
      verify: { r1csPath, ptauPath, verifyZkey },
    });
    expect(gotC).toMatchObject({ fetched: true, contributions: 2 });
    await contribute({ dir: dirC, r1csPath, ptauPath, signer: signers[2]!, blockNumber: 12n });
    const annC = await announcementOf(c, signers[2]!);
    expect((await post(a.url, annC)).status).toBe(200);

    // Closed on A's copy: every contribution is in the final zkey, signed by its member.
    await closeCeremony({
      dir: dirA,
      r1csPath,
      ptauPath,
      beacon: { blockNumber: 20n, blockHash: keccak256(toHex("block 20")) },
    });
    const check = await verifyCeremony({ dir: dirA, r1csPath, ptauPath });
    expect(check.problems).toEqual([]);
    expect(check.contributors).toEqual(verifierSet.map((s) => s.toLowerCase()));
  });

  it("refuses an announcement from a non-member, and one over the size bound, before fetching", async () => {
    const ann = await announcementOf(c, signers[2]!);
    const forged = await signAnnouncement({ ...ann, contributor: outsider.address }, outsider.privateKey);
    const r1 = await post(b.url, forged);
    expect(r1.status).toBe(422);
    expect(r1.body).toMatchObject({ error: { code: "CEREMONY_REFUSED", details: "NOT_A_VERIFIER" } });
    expect(JSON.stringify(r1.body)).toMatch(/not a member of the verifier set/);

    // A member's key, but the signature is not over these fields.
    const r2 = await post(b.url, { ...ann, index: ann.index + 1 });
    expect(r2.body).toMatchObject({ error: { details: "BAD_SIGNATURE" } });
    expect(JSON.stringify(r2.body)).toMatch(/not signed by/);

    const huge = await signAnnouncement({ ...ann, zkeyBytes: MAX_ZKEY_BYTES + 1 }, signers[2]!.privateKey);
    const r3 = await post(b.url, huge);
    expect(r3.status).toBe(422);
    expect(r3.body).toMatchObject({ error: { details: "TOO_LARGE" } });
    expect(JSON.stringify(r3.body)).toMatch(/over the \d+-byte limit/);
    expect(await healthy(b)).toBe(true);
  });

  it("cuts off a download larger than the bound even when the announcement lies about the size", async () => {
    const small = await startNode(64 * 1024);
    const ann = await announcementOf(c, signers[2]!);
    const lying = await signAnnouncement({ ...ann, zkeyBytes: 1000 }, signers[2]!.privateKey);
    const r = await post(small.url, lying);
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toMatch(/more than the 65536-byte limit/);
    expect(await healthy(small)).toBe(true);
  });

  it("refuses a zkey that does not hash to the announced hash (a tampering server)", async () => {
    const dirC = ceremonyDirOf(c.root, LISTING);
    const transcript = await readFile(join(dirC, "ceremony.json"));
    const zkey = Buffer.from(
      await readFile(ceremonyZkeyPath(dirC, latestZkeySha256(await readTranscript(dirC)))),
    );
    zkey[zkey.length - 100]! ^= 0xff;
    const evil = createServer((req, res) => {
      res.writeHead(200);
      res.end(req.url?.includes("/zkey/") ? zkey : transcript);
    });
    extraServers.push(evil);
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const fresh = await startNode();
    const ann = await signAnnouncement(
      { ...(await announcementOf(c, signers[2]!)), url },
      signers[2]!.privateKey,
    );
    const r = await post(fresh.url, ann);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: { details: "HASH_MISMATCH" } });
    expect(JSON.stringify(r.body)).toMatch(/does not hash to/);
    // Nothing was stored: the node holds no ceremony of the listing.
    expect((await fetch(`${fresh.url}/v1/zk/ceremony/${LISTING}`)).status).toBe(404);
    expect(await healthy(fresh)).toBe(true);
  });

  it("refuses a member's contribution whose zkey fails `zkey verify`, before building on it", async () => {
    // A member (verifier B) publishes a corrupted zkey under its own correct hash and signs it.
    const src = ceremonyDirOf(a.root, LISTING);
    const bad = await startNode();
    const dir = ceremonyDirOf(bad.root, LISTING);
    await mkdir(join(dir, "zkeys"), { recursive: true });
    const t = await readTranscript(src);
    const prefix = t.contributions.slice(0, 1);
    const good = Buffer.from(await readFile(ceremonyZkeyPath(src, t.contributions[1]!.zkeySha256)));
    good[good.length - 100]! ^= 0xff;
    const sha = sha256(good);
    await writeFile(ceremonyZkeyPath(dir, sha), good);
    const record = {
      contributor: signers[1]!.address,
      contributionHash: t.contributions[1]!.contributionHash,
      zkeySha256: sha,
      blockNumber: "11",
      signature: await sign({
        hash: contributionDigest(LISTING, t.contributions[1]!.contributionHash, sha, 11n),
        privateKey: signers[1]!.privateKey,
        to: "hex",
      }),
    };
    const forged = { ...t, contributions: [...prefix, record], beacon: undefined, vkHash: undefined };
    await writeFile(join(dir, "ceremony.json"), JSON.stringify(forged));
    await copyFile(ceremonyZkeyPath(src, t.initialZkeySha256), ceremonyZkeyPath(dir, t.initialZkeySha256));

    const target = await tempDir();
    const attempt = fetchCeremony({
      dir: target,
      listingId: LISTING,
      sources: [bad.url],
      verifierSet,
      maxZkeyBytes: MAX_ZKEY_BYTES,
      verify: { r1csPath, ptauPath, verifyZkey },
    });
    await expect(attempt).rejects.toThrow(CeremonyRefusedError);
    await expect(attempt).rejects.toMatchObject({ reason: "ZKEY_INVALID" });
    await expect(attempt).rejects.toThrow(/fails `zkey verify`/);
    await expect(readTranscript(target)).rejects.toThrow();
    // A copy held anyway (a daemon mirrors by hash only) is refused by contribute itself.
    await expect(
      contribute({ dir, r1csPath, ptauPath, signer: signers[2]!, blockNumber: 13n }),
    ).rejects.toThrow(/does not verify|not the transcript's/);
    expect(await healthy(bad)).toBe(true);
  });
});
