import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createChainClient, OpgContracts } from "@opg/chain";
import { OpgError } from "@opg/protocol";
import {
  CEREMONIES_DIR,
  ceremonyDirOf,
  dataPath,
  isDevnetChain,
  loadConfiguredDeployment,
  loadSigner,
} from "@opg/runtime";
import {
  type CeremonyAnnouncement,
  ceremonyZkeyPath,
  fetchCeremony,
  readTranscript,
  signAnnouncement,
} from "@opg/zk";
import {
  type CeremonyCheck,
  type CircomResult,
  type CompiledModel,
  ceremonyRefusal,
  compileModel,
  contribute,
  DEV_PTAU_PATH,
  installCeremonyArtifacts,
  runCircom,
  verifyCeremony,
  verifyZkey,
} from "@opg/zk/toolchain";
import type { Address, Hex } from "viem";
import { sign } from "viem/accounts";
import type { VerifyNodeConfig } from "../config.js";

export type CeremonyCommandOptions = {
  /**
   * The ceremony directory (ceremony.json + zkeys/<sha256>.zkey). Default: the node's own,
   * `<dataDir>/zk-ceremonies/<listing>/`, which its daemon serves to peers.
   */
  ceremony?: string | undefined;
  /** Base URLs of peers' `opg-verify` HTTP APIs to fetch the ceremony from when it is newer there. */
  from?: readonly string[] | undefined;
  /** Base URLs of `opg-verify` HTTP APIs to announce a new contribution to (peers, and this node's daemon). */
  announceTo?: readonly string[] | undefined;
  /** The model's ONNX file: the circuit is rebuilt from it (the compiler is deterministic). */
  onnx: string;
  /** The pinned phase-1 file (default: the development one; devnets and tests only). */
  ptau?: string | undefined;
  scaleBits?: number | undefined;
  valueBits?: number | undefined;
};

/** Compiles the ONNX file and runs circom: the r1cs every contributor and checker starts from. */
export async function rebuildCircuit(o: CeremonyCommandOptions): Promise<{
  r1csPath: string;
  compiled: CompiledModel;
  circom: CircomResult;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), "opg-zk-rebuild-"));
  const compiled = await compileModel(new Uint8Array(await readFile(resolve(o.onnx))), {
    ...(o.scaleBits !== undefined ? { scaleBits: o.scaleBits } : {}),
    ...(o.valueBits !== undefined ? { valueBits: o.valueBits } : {}),
  });
  const file = join(dir, "circuit.circom");
  await writeFile(file, compiled.circom);
  const out = await runCircom(file, join(dir, "build"));
  return {
    r1csPath: out.r1cs,
    compiled,
    circom: out,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The pinned phase-1 file: `--ptau`, or the committed development one on a devnet (chain id
 * 31337) only; elsewhere a missing `--ptau` is an error.
 */
function ptauOf(config: VerifyNodeConfig, o: CeremonyCommandOptions): string {
  if (o.ptau !== undefined) return resolve(o.ptau);
  if (isDevnetChain(config)) return DEV_PTAU_PATH;
  throw new OpgError(
    "INVALID_ARGUMENT",
    "--ptau is required: the development powers of tau are for devnets (chain id 31337) only.",
  );
}

function chainOf(config: VerifyNodeConfig) {
  return createChainClient({ rpcUrl: config.chain.rpcUrl, chainId: config.chain.chainId });
}

/**
 * `opg-verify zk contribute <listing>`: rebuilds the circuit, checks the ceremony so far against it
 * and the pinned phase 1, adds this verifier's contribution (signed with its key, at the chain's
 * current block) and stores the new zkey by hash in the ceremony directory.
 */
export async function zkContribute(config: VerifyNodeConfig, listingId: Hex, o: CeremonyCommandOptions) {
  const dir = ceremonyDir(config, listingId, o);
  const signer = await loadSigner(config);
  const client = chainOf(config);
  const circuit = await rebuildCircuit(o);
  try {
    const ptauPath = ptauOf(config, o);
    const fetched = await fetchNewer(config, listingId, dir, o, { r1csPath: circuit.r1csPath, ptauPath });
    await checkListing(dir, listingId);
    const c = await contribute({
      dir,
      r1csPath: circuit.r1csPath,
      ptauPath,
      signer: { address: signer.address, privateKey: signer.privateKey },
      blockNumber: await client.getBlockNumber(),
    });
    const index = (await readTranscript(dir)).contributions.length;
    const announcement = await signAnnouncement(
      {
        listingId: listingId.toLowerCase() as Hex,
        index,
        zkeySha256: c.zkeySha256,
        zkeyBytes: (await stat(ceremonyZkeyPath(dir, c.zkeySha256))).size,
        contributor: signer.address,
        url: publicUrlOf(config),
      },
      signer.privateKey,
    );
    return {
      listingId,
      contributor: c.contributor,
      contributionHash: c.contributionHash,
      zkeySha256: c.zkeySha256,
      index,
      ...(fetched ? { fetched } : {}),
      announcement,
      announced: await announce(announcement, o.announceTo ?? []),
    };
  } finally {
    await circuit.cleanup();
  }
}

/** `--ceremony`, or the node's own ceremony folder (served by its daemon). */
function ceremonyDir(config: VerifyNodeConfig, listingId: Hex, o: CeremonyCommandOptions): string {
  return o.ceremony !== undefined
    ? resolve(o.ceremony)
    : ceremonyDirOf(dataPath(config, CEREMONIES_DIR), listingId);
}

/** Where peers fetch this node's zkeys: `zk.ceremonyPublicUrl`, or its HTTP API's address. */
function publicUrlOf(config: VerifyNodeConfig): string {
  if (config.zk.ceremonyPublicUrl !== undefined) return config.zk.ceremonyPublicUrl.replace(/\/+$/, "");
  const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
  return `http://${host}:${config.http.port}`;
}

async function checkListing(dir: string, listingId: Hex): Promise<void> {
  const transcript = await readTranscript(dir);
  if (transcript.listingId.toLowerCase() !== listingId.toLowerCase()) {
    throw new OpgError("CEREMONY_MISMATCH", `The ceremony in ${dir} is listing ${transcript.listingId}'s.`);
  }
}

/**
 * With `--from`: brings the local ceremony up to the newest step the peers serve, checked
 * (members' signatures, size, sha256, `zkey verify` against the rebuilt circuit and pinned ptau).
 */
async function fetchNewer(
  config: VerifyNodeConfig,
  listingId: Hex,
  dir: string,
  o: CeremonyCommandOptions,
  circuit: { r1csPath: string; ptauPath: string },
) {
  if (o.from === undefined || o.from.length === 0) return undefined;
  const deployment = await loadConfiguredDeployment(config);
  const contracts = new OpgContracts(deployment, { client: chainOf(config) });
  const set = await contracts.registry.getVerifierSet();
  const r = await fetchCeremony({
    dir,
    listingId,
    sources: o.from,
    verifierSet: set.signers,
    maxZkeyBytes: config.zk.ceremonyMaxZkeyBytes,
    verify: { ...circuit, verifyZkey },
  });
  return { from: r.source ?? null, contributions: r.contributions, problems: r.problems };
}

/** Posts the signed announcement to each URL; a peer's refusal is reported, not fatal. */
async function announce(a: CeremonyAnnouncement, to: readonly string[]) {
  const out: { to: string; ok: boolean; answer: unknown }[] = [];
  for (const base of to) {
    const url = `${base.replace(/\/+$/, "")}/v1/zk/ceremony/announcements`;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(a),
        signal: AbortSignal.timeout(120_000),
      });
      out.push({ to: base, ok: res.ok, answer: await res.json().catch(() => null) });
    } catch (e) {
      out.push({ to: base, ok: false, answer: (e as Error).message });
    }
  }
  return out;
}

/**
 * `opg-verify zk rebuild <listing>`: rebuilds the circuit from the ONNX file, verifies the whole
 * closed ceremony against it and the pinned phase 1 (signatures, beacon block on this chain, key
 * hash = the listing's), applies this verifier's policy (its own contribution, or at least
 * `minContributors` of the verifier set; default f + 1), and when accepted installs the final keys
 * into the node's ZK artifact folder and signs the listing's `ZkKeySeal`.
 */
export async function zkRebuild(
  config: VerifyNodeConfig,
  listingId: Hex,
  o: CeremonyCommandOptions & { minContributors?: number | undefined },
) {
  const dir = ceremonyDir(config, listingId, o);
  const signer = await loadSigner(config);
  const deployment = await loadConfiguredDeployment(config);
  const client = chainOf(config);
  const contracts = new OpgContracts(deployment, { client });
  const listing = await contracts.models.getListing(listingId);
  if (listing === undefined) throw new OpgError("LISTING_NOT_FOUND", `No listing ${listingId} on chain.`);
  const set = await contracts.registry.getVerifierSet();
  const circuit = await rebuildCircuit(o);
  const ptauPath = ptauOf(config, o);
  try {
    await fetchNewer(config, listingId, dir, o, { r1csPath: circuit.r1csPath, ptauPath });
    await checkListing(dir, listingId);
    const transcript = await readTranscript(dir);
    return await checkAndInstall(config, listingId, o, {
      dir,
      transcript,
      signer,
      client,
      contracts,
      listing,
      set,
      circuit,
      ptauPath,
    });
  } finally {
    await circuit.cleanup();
  }
}

async function checkAndInstall(
  config: VerifyNodeConfig,
  listingId: Hex,
  o: CeremonyCommandOptions & { minContributors?: number | undefined },
  x: {
    dir: string;
    transcript: Awaited<ReturnType<typeof readTranscript>>;
    signer: Awaited<ReturnType<typeof loadSigner>>;
    client: ReturnType<typeof chainOf>;
    contracts: OpgContracts;
    listing: NonNullable<Awaited<ReturnType<OpgContracts["models"]["getListing"]>>>;
    set: Awaited<ReturnType<OpgContracts["registry"]["getVerifierSet"]>>;
    circuit: Awaited<ReturnType<typeof rebuildCircuit>>;
    ptauPath: string;
  },
) {
  const { dir, transcript, signer, client, contracts, listing, set, circuit } = x;
  const check: CeremonyCheck = await verifyCeremony({
    dir,
    r1csPath: circuit.r1csPath,
    ptauPath: x.ptauPath,
    blockHash: async (n) =>
      (await client.getBlock({ blockNumber: n }).catch(() => undefined))?.hash ?? undefined,
  });
  const problems = [...check.problems];
  if (listing.modelId.toLowerCase() !== transcript.modelId.toLowerCase())
    problems.push("the listing names another model");
  if (listing.vkHash.toLowerCase() !== (check.vkHash ?? "").toLowerCase()) {
    problems.push(`the listing's key hash ${listing.vkHash} is not the ceremony's ${check.vkHash}`);
  }
  const refusal = ceremonyRefusal(
    { ...check, valid: check.valid && problems.length === 0, problems },
    {
      self: signer.address,
      verifierSet: set.signers,
      minContributors: o.minContributors || config.zk.minCeremonyContributors || set.f + 1,
    },
  );
  if (refusal !== undefined) {
    return { listingId, accepted: false as const, reason: refusal, contributors: check.contributors };
  }
  const target = join(dataPath(config, config.zk.artifactsDir ?? "zk-artifacts"), transcript.artifactKey);
  await mkdir(join(target, ".."), { recursive: true });
  await installCeremonyArtifacts({
    ceremonyDir: dir,
    compiled: circuit.compiled,
    circom: circuit.circom,
    ptauPath: x.ptauPath,
    targetDir: target,
  });
  const seal = {
    listingId,
    vkHash: listing.vkHash,
    transcriptHash: `0x${transcript.beacon!.zkeySha256}` as Hex,
    configDigest: set.configDigest,
  };
  const signature = await sign({
    hash: await contracts.models.zkKeySealDigest(seal),
    privateKey: signer.privateKey,
    to: "hex",
  });
  return {
    listingId,
    accepted: true as const,
    contributors: check.contributors as Address[],
    installed: target,
    seal,
    sealSigner: signer.address,
    sealSignature: signature,
  };
}
