import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import { modeMask, type OpgDeployment } from "@opg/contracts";
import { createLogger, HttpServer } from "@opg/daemon";
import { modelIdFromBytes, ProofMode } from "@opg/protocol";
import { deployBytecode } from "@opg/testkit";
import { CeremonyAnnouncements, ceremonyDirOf, mountCeremonyRoutes } from "@opg/verify-node";
import {
  type CeremonyAnnouncement,
  ceremonyZkeyPath,
  fetchCeremony,
  loadArtifacts,
  signAnnouncement,
  weightsCommitmentBytes32,
} from "@opg/zk";
import {
  ceremonyRefusal,
  closeCeremony,
  compileModel,
  contribute,
  DEV_PTAU_PATH,
  deployZkContracts,
  installCeremonyArtifacts,
  runCircom,
  startCeremony,
  verifyCeremony,
} from "@opg/zk/toolchain";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DevnetModel } from "./Devnet.js";
import { sealZkKeys } from "./sealZkKeys.js";

/** How long the ceremony waits for the beacon block (mined after every contribution). */
const BEACON_WAIT_MS = 60_000;

export type DevnetZkCeremonyOptions = {
  rpcUrl: string;
  net: { deployment: OpgDeployment; deployerKey: Hex; verifierKeys: readonly Hex[] };
  /** The devnet's models; ZK-mode ones must be listed by the deployer already, without ZK config. */
  models: readonly DevnetModel[];
  /** Where the ceremonies live: `<dir>/<model name>/` (ceremony.json, zkeys/, the final artifacts). */
  dir: string;
  /**
   * Data dirs whose `zk-artifacts/` get the final keys: the verifiers' (each installs what it
   * checked) and the executors' (they prove with the ceremony's zkey).
   */
  installInto: readonly string[];
  /** The pinned phase 1 of models without their own `zkPtauPath` (default: the committed development one). */
  ptauPath?: string;
  log?: (line: string) => void;
};

/**
 * The devnet's phase-2 ceremony for every ZK model it lists, run among its verifiers with the
 * code their operators run (`opg-exec models add --zk`, `opg-verify zk contribute`, `opg-verify zk
 * rebuild`, all in @opg/zk):
 * 1. the circuit is compiled from the ONNX file (the compiler is deterministic: every party would
 *    rebuild the same r1cs; the devnet builds it once) and the publisher starts the ceremony;
 * 2. each verifier adds its signed contribution (checking the zkey so far against the circuit and
 *    the pinned phase 1) in its own copy of the ceremony, served over HTTP by the verifier's
 *    ceremony routes (`@opg/verify-node`): the first fetches the started ceremony from the
 *    publisher, each announces its zkey to the other parties, which fetch it by hash and check it
 *    (members' signatures, size, sha256) — no shared folder;
 * 3. a random beacon closes it: the hash of a block mined after every contribution;
 * 4. the publisher deploys the verifier contracts of the final key and sets the listing's ZK
 *    configuration (adapter, weights commitment, key hash) and modes;
 * 5. each verifier fetches the closed ceremony from the publisher, verifies the whole transcript (`zkey verify` of the final zkey, signatures,
 *    beacon block, the listing's key hash), applies its policy (its own contribution, or f + 1 of
 *    the set's) and signs the listing's `ZkKeySeal`; the signatures seal the key on chain.
 * The final artifacts are installed in every `installInto` dir. Resolves to `models` with the ZK
 * ones' `zkVerifier`, `weightsCommitment`, `vkHash` and `zkTranscriptHash` filled in.
 */
export async function runDevnetZkCeremony(o: DevnetZkCeremonyOptions): Promise<DevnetModel[]> {
  const log = o.log ?? (() => {});
  const chainId = o.net.deployment.chainId;
  const client = createChainClient({ rpcUrl: o.rpcUrl, chainId, pollingIntervalMs: 100 });
  const publisher = privateKeyToAccount(o.net.deployerKey);
  const sender = new TxSender({ chainId, receiptPollIntervalMs: 100 }, { client, account: publisher });
  sender.start();
  const contracts = new OpgContracts(o.net.deployment, { client, sender });
  const out: DevnetModel[] = [];
  const servers: HttpServer[] = [];
  try {
    const set = await contracts.registry.getVerifierSet();
    for (const m of o.models) {
      if (!m.modes.includes(ProofMode.ZK) || m.zkVerifier !== undefined) {
        out.push(m);
        continue;
      }
      const t0 = performance.now();
      const ptauPath = m.zkPtauPath ?? o.ptauPath ?? DEV_PTAU_PATH;
      const modelId = modelIdFromBytes(readFileSync(m.file));
      const listingId = await contracts.models.latestListing(modelId, publisher.address);
      if (listingId === undefined) throw new Error(`The devnet has no listing of ${m.name} (${modelId}).`);
      const dir = join(o.dir, m.name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // Every party keeps its own copy, served over HTTP like a verifier daemon's: the zkeys travel
      // between them by hash, checked on arrival, never by a shared folder.
      const parties = await startParties(join(dir, "parties"), o.net.verifierKeys.length, set.signers);
      servers.push(...parties.map((p) => p.http));
      const [publisherParty, ...verifierParties] = parties as [Party, ...Party[]];
      const ceremonyDir = publisherParty.dirOf(listingId);

      // 1. The circuit, and the ceremony's start (the publisher: `opg-exec models add --zk`).
      const compiled = await compileModel(new Uint8Array(readFileSync(m.file)), m.zkCompileOptions);
      const circuitFile = join(dir, "build", "circuit.circom");
      mkdirSync(join(dir, "build"), { recursive: true });
      await writeFile(circuitFile, compiled.circom);
      const circom = await runCircom(circuitFile, join(dir, "build"));
      await startCeremony({
        dir: ceremonyDir,
        listingId,
        modelId,
        artifactKey: compiled.artifactKey,
        r1csPath: circom.r1cs,
        ptauPath,
      });
      // 2. Each verifier contributes (`opg-verify zk contribute --from <publisher> --announce-to …`):
      //    the first fetches the started ceremony from the publisher; each announces its zkey to the
      //    other parties, which fetch it by hash from it, so the next one builds on its own copy.
      for (const [i, key] of o.net.verifierKeys.entries()) {
        const me = verifierParties[i]!;
        if (i === 0) {
          await fetchCeremony({
            dir: me.dirOf(listingId),
            listingId,
            sources: [publisherParty.url],
            verifierSet: set.signers,
            maxZkeyBytes: MAX_ZKEY_BYTES,
          });
        }
        const signer = { address: privateKeyToAccount(key).address, privateKey: key };
        const c = await contribute({
          dir: me.dirOf(listingId),
          r1csPath: circom.r1cs,
          ptauPath,
          signer,
          blockNumber: await client.getBlockNumber(),
        });
        await announceToAll(parties, me, {
          listingId,
          index: i + 1,
          zkeySha256: c.zkeySha256,
          zkeyBytes: statSync(ceremonyZkeyPath(me.dirOf(listingId), c.zkeySha256)).size,
          contributor: signer.address,
          url: me.url,
          privateKey: key,
        });
      }
      // 3. The beacon: a block mined after the last contribution.
      const beacon = await nextBlock(client, await client.getBlockNumber());
      const transcript = await closeCeremony({
        dir: ceremonyDir,
        r1csPath: circom.r1cs,
        ptauPath,
        beacon,
      });
      const ceremonySeconds = (performance.now() - t0) / 1000;

      // 4. The publisher deploys the final key's verifier contracts and sets the listing's ZK config.
      const artifactsDir = join(dir, "artifacts", compiled.artifactKey);
      mkdirSync(join(dir, "artifacts"), { recursive: true });
      await installCeremonyArtifacts({ ceremonyDir, compiled, circom, ptauPath, targetDir: artifactsDir });
      const artifacts = await loadArtifacts(artifactsDir);
      const deployed = await deployZkContracts(artifacts, (initCode) => deployBytecode(o.rpcUrl, initCode));
      const weightsCommitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment) as Hex;
      await contracts.models.setZkConfig(listingId, weightsCommitment, deployed.adapter, deployed.vkHash);
      await contracts.models.setModes(listingId, modeMask(...m.modes));

      // 5. Each verifier checks the transcript (`opg-verify zk rebuild`) and signs the seal if it accepts.
      const t1 = performance.now();
      const accepting: Hex[] = [];
      for (const [i, key] of o.net.verifierKeys.entries()) {
        const self = privateKeyToAccount(key).address;
        // Each verifier fetches the closed ceremony from the publisher into its own copy.
        const mine = verifierParties[i]!.dirOf(listingId);
        await fetchCeremony({
          dir: mine,
          listingId,
          sources: [publisherParty.url],
          verifierSet: set.signers,
          maxZkeyBytes: MAX_ZKEY_BYTES,
        });
        const check = await verifyCeremony({
          dir: mine,
          r1csPath: circom.r1cs,
          ptauPath,
          blockHash: async (n) =>
            (await client.getBlock({ blockNumber: n }).catch(() => undefined))?.hash ?? undefined,
        });
        if (check.vkHash?.toLowerCase() !== deployed.vkHash.toLowerCase()) {
          check.valid = false;
          check.problems.push("the listing's key hash is not the ceremony's");
        }
        const refusal = ceremonyRefusal(check, {
          self,
          verifierSet: set.signers as Address[],
          minContributors: set.f + 1,
        });
        if (refusal !== undefined)
          throw new Error(`Verifier ${self} refuses the ${m.name} ceremony: ${refusal}`);
        accepting.push(key);
      }
      const checkSeconds = (performance.now() - t1) / 1000;
      const transcriptHash = `0x${transcript.beacon!.zkeySha256}` as Hex;
      await sealZkKeys({
        rpcUrl: o.rpcUrl,
        deployment: o.net.deployment,
        submitterKey: o.net.deployerKey,
        verifierKeys: accepting,
        keys: [{ listingId, vkHash: deployed.vkHash, transcriptHash }],
      });
      for (const d of o.installInto) {
        const target = join(d, "zk-artifacts", compiled.artifactKey);
        rmSync(target, { recursive: true, force: true });
        cpSync(artifactsDir, target, { recursive: true });
      }
      log(
        `zk: ${m.name}: ceremony of ${o.net.verifierKeys.length} verifiers closed by block ${beacon.blockNumber} (${ceremonySeconds.toFixed(1)} s), checked by each (${checkSeconds.toFixed(1)} s), key ${deployed.vkHash.slice(0, 10)}… sealed on listing ${listingId.slice(0, 10)}…`,
      );
      out.push({
        ...m,
        zkVerifier: deployed.adapter,
        weightsCommitment,
        vkHash: deployed.vkHash,
        zkTranscriptHash: transcriptHash,
      });
    }
  } finally {
    sender.stop();
    await Promise.all(servers.map((h) => h.stop()));
  }
  return out;
}

/** Largest zkey a party fetches (the devnet's models are small). */
const MAX_ZKEY_BYTES = 256 * 1024 * 1024;

/** A ceremony party (the publisher, or a verifier): its folder, served like a verifier daemon's. */
type Party = { http: HttpServer; url: string; dirOf: (listingId: Hex) => string };

/** The publisher and `verifiers` verifiers, each with its ceremony folder on an HTTP server. */
async function startParties(
  root: string,
  verifiers: number,
  verifierSet: readonly Address[],
): Promise<Party[]> {
  const parties: Party[] = [];
  for (let i = 0; i <= verifiers; i++) {
    const folder = join(root, i === 0 ? "publisher" : `verifier-${i - 1}`);
    const http = new HttpServer({ port: 0 }, { logger: createLogger({ level: "silent" }) });
    mountCeremonyRoutes(http, {
      root: folder,
      onAnnouncement: new CeremonyAnnouncements({
        root: folder,
        verifierSet: async () => verifierSet,
        maxZkeyBytes: MAX_ZKEY_BYTES,
      }).receive,
    });
    await http.start();
    parties.push({ http, url: http.url(), dirOf: (listingId) => ceremonyDirOf(folder, listingId) });
  }
  return parties;
}

/** Signs the announcement of a contribution and posts it to every other party (each fetches the zkey). */
async function announceToAll(
  parties: readonly Party[],
  from: Party,
  a: Omit<CeremonyAnnouncement, "signature"> & { privateKey: Hex },
): Promise<void> {
  const { privateKey, ...fields } = a;
  const signed = await signAnnouncement(fields, privateKey);
  for (const p of parties) {
    if (p === from) continue;
    const res = await fetch(`${p.url}/v1/zk/ceremony/announcements`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signed),
    });
    if (!res.ok) throw new Error(`A ceremony party refused contribution ${a.index}: ${await res.text()}`);
  }
}

/** The first block after `after` (the dev chain mines on an interval): its number and hash. */
async function nextBlock(
  client: ReturnType<typeof createChainClient>,
  after: bigint,
): Promise<{ blockNumber: bigint; blockHash: Hex }> {
  const deadline = Date.now() + BEACON_WAIT_MS;
  for (;;) {
    const block = await client.getBlock();
    if (block.number > after) return { blockNumber: block.number, blockHash: block.hash };
    if (Date.now() > deadline)
      throw new Error(`No block after ${after} within ${BEACON_WAIT_MS} ms (the beacon).`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
