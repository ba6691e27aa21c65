import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { OpgContracts, TxSender } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { OpgError, ProofMode } from "@opg/protocol";
import { ceremonyDirOf } from "@opg/runtime";
import {
  CEREMONY_FILES,
  fetchCeremony,
  loadArtifacts,
  readTranscript,
  weightsCommitmentBytes32,
} from "@opg/zk";
import {
  type CircomResult,
  type CompiledModel,
  closeCeremony,
  compileModel,
  deployZkContracts,
  installCeremonyArtifacts,
  runCircom,
  startCeremony,
  verifyZkey,
} from "@opg/zk/toolchain";
import { type Address, type Hex, zeroAddress } from "viem";

/** How long `models zk-finish` waits for the beacon block (a block after every contribution). */
const BEACON_WAIT_MS = 120_000;

export type CircuitOptions = {
  scaleBits?: number | undefined;
  valueBits?: number | undefined;
  /** The pinned phase-1 file. */
  ptauPath: string;
};

export type ZkCeremonyDeps = {
  contracts: OpgContracts;
  /** The publisher (the listing's owner). */
  account: Address;
  onLog?: (line: string) => void;
};

/** Compiles the ONNX file and runs circom in a temp dir (the compiler is deterministic). */
export async function buildCircuit(
  onnx: string,
  o: Omit<CircuitOptions, "ptauPath">,
): Promise<{ compiled: CompiledModel; circom: CircomResult; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "opg-zk-circuit-"));
  const compiled = await compileModel(new Uint8Array(await readFile(resolve(onnx))), {
    ...(o.scaleBits !== undefined ? { scaleBits: o.scaleBits } : {}),
    ...(o.valueBits !== undefined ? { valueBits: o.valueBits } : {}),
  });
  const file = join(dir, "circuit.circom");
  await writeFile(file, compiled.circom);
  const circom = await runCircom(file, join(dir, "build"));
  return { compiled, circom, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What `opg-exec models add --zk` did: a listing (without ZK yet) and its ceremony, started. */
export type ZkCeremonyStart = {
  action: "ceremony-started" | "ceremony-pending";
  modelId: Hex;
  listingId: Hex;
  /** The ceremony directory (ceremony.json and zkeys/): what the verifiers contribute to. */
  ceremony: string;
  artifactKey: string;
  constraints: number;
  contributions: number;
  /** The commands that complete the setup, in order. */
  nextSteps: string[];
};

/**
 * `opg-exec models add --zk`: starts the listing's phase-2 ceremony instead of finishing the setup
 * alone. Creates a listing of the model owned by the account (modes NONE: ZK is enabled by
 * `models zk-finish` once the ceremony is closed), and the ceremony's initial zkey from the
 * rebuilt circuit and the pinned phase 1 (no contribution: its toxic waste is public) in
 * `<ceremoniesRoot>/<listingId>/`. Rerun while the ceremony is open, it changes nothing and
 * reports the contributions so far.
 */
export async function startZkCeremony(
  onnx: string,
  o: CircuitOptions & { price: bigint; metadataURI: string; ceremoniesRoot: string },
  deps: ZkCeremonyDeps,
): Promise<ZkCeremonyStart> {
  const circuit = await buildCircuit(onnx, o);
  try {
    const { compiled, circom } = circuit;
    const modelId = compiled.modelId as Hex;
    const models = deps.contracts.models;
    const latest = await models.latestListing(modelId, deps.account);
    const existing = latest === undefined ? undefined : await models.getListing(latest);
    const constraints = circom.nonLinearConstraints + circom.linearConstraints;
    const steps = (listingId: Hex, dir: string) => ceremonySteps(listingId, dir, onnx, o);
    if (existing && existing.zkVerifier === zeroAddress) {
      const dir = ceremonyDirOf(o.ceremoniesRoot, existing.listingId);
      if (existsSync(join(dir, CEREMONY_FILES.transcript))) {
        const t = await readTranscript(dir);
        return {
          action: "ceremony-pending",
          modelId,
          listingId: existing.listingId,
          ceremony: dir,
          artifactKey: t.artifactKey,
          constraints,
          contributions: t.contributions.length,
          nextSteps: steps(existing.listingId, dir),
        };
      }
    }
    const { listingId } = await models.createListing({
      modelId,
      metadataURI: o.metadataURI,
      modes: modeMask(ProofMode.NONE),
      price: o.price,
    });
    const dir = ceremonyDirOf(o.ceremoniesRoot, listingId);
    await mkdir(dir, { recursive: true });
    await startCeremony({
      dir,
      listingId,
      modelId,
      artifactKey: compiled.artifactKey,
      r1csPath: circom.r1cs,
      ptauPath: o.ptauPath,
    });
    deps.onLog?.(`listing ${listingId} created (ZK once its ceremony is closed); ceremony started in ${dir}`);
    return {
      action: "ceremony-started",
      modelId,
      listingId,
      ceremony: dir,
      artifactKey: compiled.artifactKey,
      constraints,
      contributions: 0,
      nextSteps: steps(listingId, dir),
    };
  } finally {
    await circuit.cleanup();
  }
}

function ceremonySteps(listingId: Hex, dir: string, onnx: string, o: CircuitOptions): string[] {
  const circuitFlags = [
    ...(o.scaleBits !== undefined ? [`--scale-bits ${o.scaleBits}`] : []),
    ...(o.valueBits !== undefined ? [`--value-bits ${o.valueBits}`] : []),
    `--ptau ${o.ptauPath}`,
  ].join(" ");
  return [
    `each verifier operator, in turn: opg-verify zk contribute ${listingId} --onnx ${onnx} ${circuitFlags} --from <this executor's HTTP URL, which serves ${dir} while opg-exec runs> --announce-to <its daemon's URL> (the daemons gossip the announcement and fetch the zkey by hash over HTTP; later contributors add --from <a peer verifier's URL>)`,
    `then the publisher: opg-exec models zk-finish ${listingId} --onnx ${onnx} ${circuitFlags} --from <a verifier's URL> (fetches and checks the contributed ceremony)`,
    `then each verifier operator: opg-verify zk rebuild ${listingId} --ceremony <dir> --onnx ${onnx} ${circuitFlags} (prints its seal signature)`,
    `then anyone, with f + 1 signatures: opg-exec models zk-seal ${listingId} --transcript-hash <hash> --signature <sig>...`,
  ];
}

/** What `opg-exec models zk-finish` did. */
export type ZkCeremonyFinish = {
  listingId: Hex;
  modelId: Hex;
  contributors: Address[];
  beacon: { blockNumber: string; blockHash: Hex };
  vkHash: Hex;
  /** sha256 of the final zkey: what the verifiers' seal names. */
  transcriptHash: Hex;
  zkVerifier: Address;
  weightsCommitment: Hex;
  artifacts: string;
};

/**
 * `opg-exec models zk-finish <listing>`: closes the listing's ceremony with the random beacon (the
 * hash of the first block mined after every contribution), installs the final keys in the node's
 * ZK artifact folder, deploys the final key's verifier contracts and sets the listing's ZK
 * configuration and modes (ZK added). The key is usable by `settleWithProof` once f + 1 verifiers
 * have checked the ceremony and sealed it (`models zk-seal`).
 */
export async function finishZkCeremony(
  listingId: Hex,
  onnx: string,
  o: CircuitOptions & {
    ceremoniesRoot: string;
    artifactsRoot: string;
    /** Verifiers' `opg-verify` HTTP APIs to fetch the contributed ceremony from (`--from`). */
    from?: readonly string[] | undefined;
    /** Largest zkey fetched (default 512 MiB). */
    maxZkeyBytes?: number | undefined;
  },
  deps: ZkCeremonyDeps & {
    sender: TxSender;
    block: (n?: bigint) => Promise<{ number: bigint; hash: Hex }>;
  },
): Promise<ZkCeremonyFinish> {
  const listing = await deps.contracts.models.getListing(listingId);
  if (listing === undefined) throw new OpgError("LISTING_NOT_FOUND", `No listing ${listingId} on chain.`);
  if (listing.owner.toLowerCase() !== deps.account.toLowerCase()) {
    throw new OpgError("NOT_OWNER", `Listing ${listingId} is ${listing.owner}'s, not this node's.`);
  }
  if (listing.zkVerifier !== zeroAddress) {
    throw new OpgError("ZK_CONFIG_SET", `Listing ${listingId} has its ZK key already (${listing.vkHash}).`);
  }
  const dir = ceremonyDirOf(o.ceremoniesRoot, listingId);
  const circuit = await buildCircuit(onnx, o);
  try {
    if (o.from !== undefined && o.from.length > 0) {
      // The contributed ceremony from the verifiers' HTTP APIs, checked before it is stored
      // (members' signatures, size, sha256, `zkey verify` against the rebuilt circuit).
      const fetched = await fetchCeremony({
        dir,
        listingId,
        sources: o.from,
        verifierSet: (await deps.contracts.registry.getVerifierSet()).signers,
        maxZkeyBytes: o.maxZkeyBytes ?? 512 * 1024 * 1024,
        verify: { r1csPath: circuit.circom.r1cs, ptauPath: o.ptauPath, verifyZkey },
      });
      if (fetched.fetched)
        deps.onLog?.(`fetched ${fetched.contributions} contribution(s) from ${fetched.source}`);
    }
    const t = await readTranscript(dir);
    if (t.contributions.length === 0) {
      throw new OpgError(
        "CEREMONY_OPEN",
        `The ceremony in ${dir} has no contribution yet: verifiers run \`opg-verify zk contribute ${listingId}\` first.`,
      );
    }
    const last = t.contributions.reduce(
      (m, c) => (BigInt(c.blockNumber) > m ? BigInt(c.blockNumber) : m),
      0n,
    );
    const beacon = await blockAfter(deps.block, last);
    deps.onLog?.(`closing the ceremony with the hash of block ${beacon.blockNumber} (the beacon)`);
    const closed = await closeCeremony({
      dir,
      r1csPath: circuit.circom.r1cs,
      ptauPath: o.ptauPath,
      beacon,
    });
    const target = join(o.artifactsRoot, circuit.compiled.artifactKey);
    await mkdir(o.artifactsRoot, { recursive: true });
    await installCeremonyArtifacts({
      ceremonyDir: dir,
      compiled: circuit.compiled,
      circom: circuit.circom,
      ptauPath: o.ptauPath,
      targetDir: target,
    });
    const artifacts = await loadArtifacts(target);
    deps.onLog?.("deploying the final key's Groth16 verifier, Poseidon hashers and adapter");
    const deployed = await deployZkContracts(artifacts, (initCode, label) =>
      deps.sender.deployContract(initCode, label),
    );
    const weightsCommitment = weightsCommitmentBytes32(artifacts.manifest.weightsCommitment) as Hex;
    await deps.contracts.models.setZkConfig(listingId, weightsCommitment, deployed.adapter, deployed.vkHash);
    await deps.contracts.models.setModes(listingId, listing.modes | modeMask(ProofMode.ZK));
    return {
      listingId,
      modelId: listing.modelId,
      contributors: t.contributions.map((c) => c.contributor),
      beacon: { blockNumber: beacon.blockNumber.toString(), blockHash: beacon.blockHash },
      vkHash: deployed.vkHash,
      transcriptHash: `0x${closed.beacon!.zkeySha256}`,
      zkVerifier: deployed.adapter,
      weightsCommitment,
      artifacts: target,
    };
  } finally {
    await circuit.cleanup();
  }
}

async function blockAfter(
  block: (n?: bigint) => Promise<{ number: bigint; hash: Hex }>,
  after: bigint,
): Promise<{ blockNumber: bigint; blockHash: Hex }> {
  const deadline = Date.now() + BEACON_WAIT_MS;
  for (;;) {
    const head = await block();
    if (head.number > after) {
      // The first block after the last contribution: no contributor could know its hash.
      const b = await block(after + 1n);
      return { blockNumber: b.number, blockHash: b.hash };
    }
    if (Date.now() > deadline) {
      throw new OpgError("BEACON_TIMEOUT", `No block after ${after} was mined within ${BEACON_WAIT_MS} ms.`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * `opg-exec models zk-seal <listing>`: submits f + 1 verifiers' seal signatures (printed by their
 * `opg-verify zk rebuild`) for the listing's key under the current verifier set. Anyone may.
 */
export async function sealZkListing(
  listingId: Hex,
  transcriptHash: Hex,
  signatures: readonly Hex[],
  contracts: OpgContracts,
): Promise<{ listingId: Hex; vkHash: Hex; transcriptHash: Hex; sealed: true; tx: Hex }> {
  const listing = await contracts.models.getListing(listingId);
  if (listing === undefined) throw new OpgError("LISTING_NOT_FOUND", `No listing ${listingId} on chain.`);
  const seal = {
    listingId,
    vkHash: listing.vkHash,
    transcriptHash,
    configDigest: await contracts.registry.getConfigDigest(),
  };
  const tx = await contracts.models.sealZkKey(seal, signatures);
  return { listingId, vkHash: listing.vkHash, transcriptHash, sealed: true, tx: tx.hash };
}
