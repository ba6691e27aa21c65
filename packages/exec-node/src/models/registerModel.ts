import type { OpgContracts } from "@opg/chain";
import { modeMask } from "@opg/contracts";
import { OpgError, type ProofMode, parseProofMode, proofModeName } from "@opg/protocol";
import { type Address, formatEther, type Hex, zeroAddress } from "viem";

/** What `models register` asks of the ModelRegistry. */
export type ModelTerms = {
  modelId: Hex;
  modes: readonly ProofMode[];
  /** Price per request, wei. */
  price: bigint;
  metadataURI: string;
  /** Allowed TEE measurements (PCR hashes); needed when `modes` has TEE. */
  measurements: readonly Hex[];
};

export type ModelRegistrationOutcome = {
  modelId: Hex;
  /** The account's listing of the model (created or updated): what requests name. */
  listingId: Hex;
  action: "registered" | "updated" | "unchanged";
  modes: string[];
  price: string;
  txs: Hex[];
};

/** `none,tee` → [NONE, TEE]; unknown names are an error that lists the valid ones. */
export function parseModes(list: string): ProofMode[] {
  const modes = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const mode = parseProofMode(name);
      if (mode === undefined)
        throw new OpgError(
          "INVALID_ARGUMENT",
          `Unknown proof mode "${name}": use none, zk or tee (comma-separated).`,
        );
      return mode;
    });
  if (modes.length === 0)
    throw new OpgError("INVALID_ARGUMENT", "--modes needs at least one of none, zk, tee.");
  return [...new Set(modes)];
}

/**
 * Puts a model on chain with the given modes and price under the sending account's own listing:
 * creates the listing when the account has none for the model; otherwise sets the modes and price
 * of its latest listing that differ (and adds missing TEE measurements). Other publishers' listings
 * of the same file are neither read nor affected. ZK needs the listing's ZK config first
 * (`models add --zk`). Idempotent.
 */
export async function registerModel(
  terms: ModelTerms,
  deps: { contracts: OpgContracts; account: Address },
): Promise<ModelRegistrationOutcome> {
  const models = deps.contracts.models;
  const registry = models.address;
  const mask = modeMask(...terms.modes);
  const hasZk = terms.modes.some((m) => proofModeName(m) === "ZK");
  const hasTee = terms.modes.some((m) => proofModeName(m) === "TEE");
  const names = terms.modes.map((m) => proofModeName(m).toLowerCase());
  const out = (
    action: ModelRegistrationOutcome["action"],
    listingId: Hex,
    txs: Hex[],
  ): ModelRegistrationOutcome => ({
    modelId: terms.modelId,
    listingId,
    action,
    modes: names,
    price: `${formatEther(terms.price)} ETH`,
    txs,
  });
  if (hasTee && terms.measurements.length === 0) {
    throw new OpgError(
      "MEASUREMENT_MISSING",
      "TEE mode needs the enclave measurement verifiers must accept: pass --measurement 0x… (the `measurement` of this executor's GET /v1/tee), or enable tee.enabled so the node's own is used.",
    );
  }
  const latest = await models.latestListing(terms.modelId, deps.account);
  const existing = latest === undefined ? undefined : await models.getListing(latest);
  if (existing === undefined) {
    if (hasZk)
      throw new OpgError(
        "ZK_CONFIG_MISSING",
        `ZK mode needs the model's circuit and a key from the verifiers' ceremony: run \`opg-exec models add <file.onnx> --zk --price ${formatEther(terms.price)}\` (it lists the model and starts the ceremony; \`models zk-finish\` enables ZK), then this command for the other modes.`,
      );
    const { listingId, tx } = await models.createListing({
      modelId: terms.modelId,
      metadataURI: terms.metadataURI,
      modes: mask,
      price: terms.price,
      measurements: terms.measurements,
    });
    return out("registered", listingId, [tx.hash]);
  }
  const listingId = existing.listingId;
  if (hasZk && existing.zkVerifier === zeroAddress)
    throw new OpgError(
      "ZK_CONFIG_MISSING",
      `Listing ${listingId} of model ${terms.modelId} (ModelRegistry ${registry}) has no ZK config: run \`opg-exec models add <file.onnx> --zk\` (its ceremony) and \`opg-exec models zk-finish ${listingId}\` first.`,
    );
  const txs: Hex[] = [];
  if (hasTee) {
    const allowed = new Set((await models.measurements(listingId)).map((m) => m.toLowerCase()));
    for (const m of terms.measurements) {
      if (!allowed.has(m.toLowerCase())) txs.push((await models.addMeasurement(listingId, m)).hash);
    }
  }
  if (existing.modes !== mask) txs.push((await models.setModes(listingId, mask)).hash);
  if (existing.price !== terms.price) txs.push((await models.setPrice(listingId, terms.price)).hash);
  return out(txs.length > 0 ? "updated" : "unchanged", listingId, txs);
}
