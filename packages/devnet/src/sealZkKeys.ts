import { readFileSync } from "node:fs";
import { createChainClient, OpgContracts, TxSender } from "@opg/chain";
import type { OpgDeployment } from "@opg/contracts";
import { modelIdFromBytes, ProofMode } from "@opg/protocol";
import type { Hex } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import type { DevnetModel } from "./Devnet.js";

/** A listing's key to seal: the key hash it names and the ceremony transcript it came from. */
export type ZkKeyToSeal = {
  listingId: Hex;
  vkHash: Hex;
  /** sha256 of the ceremony's final zkey (non-zero). */
  transcriptHash: Hex;
};

/**
 * Seals listings' ZK keys as the verifier set does (ModelRegistry.sealZkKey): every key of
 * `verifierKeys` signs the listing's `zkKeySealDigest` under the current verifier set's config
 * digest, and `submitterKey` sends the signatures (anyone may). The registry requires f + 1 distinct
 * members of the set among the signers. Listings sealed already are skipped. Resolves to the
 * listings sealed by this call.
 */
export async function sealZkKeys(o: {
  rpcUrl: string;
  deployment: OpgDeployment;
  submitterKey: Hex;
  verifierKeys: readonly Hex[];
  keys: readonly ZkKeyToSeal[];
}): Promise<Hex[]> {
  if (o.keys.length === 0) return [];
  const client = createChainClient({
    rpcUrl: o.rpcUrl,
    chainId: o.deployment.chainId,
    pollingIntervalMs: 100,
  });
  const sender = new TxSender(
    { chainId: o.deployment.chainId, receiptPollIntervalMs: 100 },
    { client, account: privateKeyToAccount(o.submitterKey) },
  );
  sender.start();
  const sealed: Hex[] = [];
  try {
    const contracts = new OpgContracts(o.deployment, { client, sender });
    const configDigest = await contracts.registry.getConfigDigest();
    for (const k of o.keys) {
      const listing = await contracts.models.getListing(k.listingId);
      if (listing === undefined) throw new Error(`No listing ${k.listingId} to seal.`);
      if (listing.zkKeySealed) continue;
      const seal = {
        listingId: k.listingId,
        vkHash: k.vkHash,
        transcriptHash: k.transcriptHash,
        configDigest,
      };
      const digest = await contracts.models.zkKeySealDigest(seal);
      const signatures = await Promise.all(
        o.verifierKeys.map((privateKey) => sign({ hash: digest, privateKey, to: "hex" })),
      );
      await contracts.models.sealZkKey(seal, signatures);
      sealed.push(k.listingId);
    }
  } finally {
    sender.stop();
  }
  return sealed;
}

/**
 * Seals the ZK keys of the devnet's listings (the deployer's latest listing of every ZK-mode model
 * with a key), signed by every devnet verifier: what the native devnet (`Devnet.start`) and the
 * compose deployer (docker/deployer/deploy.mjs) do once the listings exist, so that the demo's ZK
 * rows settle on chain (`settleWithProof` refuses an unsealed key). `models` are as
 * `devnetModelSetups` returned them (with `vkHash` and `zkTranscriptHash`).
 */
export async function sealDevnetZkKeys(o: {
  rpcUrl: string;
  net: { deployment: OpgDeployment; deployerKey: Hex; verifierKeys: readonly Hex[] };
  models: readonly DevnetModel[];
}): Promise<Hex[]> {
  const client = createChainClient({
    rpcUrl: o.rpcUrl,
    chainId: o.net.deployment.chainId,
    pollingIntervalMs: 100,
  });
  const contracts = new OpgContracts(o.net.deployment, { client });
  const publisher = privateKeyToAccount(o.net.deployerKey).address;
  const keys: ZkKeyToSeal[] = [];
  for (const m of o.models) {
    if (!m.modes.includes(ProofMode.ZK) || m.vkHash === undefined) continue;
    if (m.zkTranscriptHash === undefined) throw new Error(`The ZK model ${m.name} names no key transcript.`);
    const modelId = modelIdFromBytes(readFileSync(m.file));
    const listingId = await contracts.models.latestListing(modelId, publisher);
    if (listingId === undefined) throw new Error(`The devnet has no listing of ${m.name} (${modelId}).`);
    keys.push({ listingId, vkHash: m.vkHash, transcriptHash: m.zkTranscriptHash });
  }
  return sealZkKeys({
    rpcUrl: o.rpcUrl,
    deployment: o.net.deployment,
    submitterKey: o.net.deployerKey,
    verifierKeys: o.net.verifierKeys,
    keys,
  });
}
