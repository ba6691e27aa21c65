import type { P2PNode } from "@opg/p2p";
import { WIRE_LIMITS } from "@opg/protocol";
import { BLAMELESS_BATCH_IGNORES } from "./batching/BatchGossip.js";
import { BLAMELESS_RESULT_IGNORES } from "./pipeline/ResultValidator.js";
import type { VerifierCore } from "./VerifierCore.js";

/**
 * Wires a verifier to its libp2p node: both topics subscribed, each with its size cap and the
 * IGNOREs that are not the sender's fault (each topic validates within its own budget, so a
 * results flood never starves batch signatures), and the results it holds served by result hash
 * to verifiers missing results a batch proposal lists.
 */
export async function wireVerifierGossip(p2p: P2PNode, core: VerifierCore): Promise<void> {
  p2p.subscribe(p2p.topics.results, core.intake.validate, core.intake.accept, {
    maxBytes: WIRE_LIMITS.resultMessageBytes,
    blamelessIgnores: BLAMELESS_RESULT_IGNORES,
  });
  p2p.subscribe(p2p.topics.batchSignatures, core.batchGossip.validate, core.onBatchMessage, {
    maxBytes: WIRE_LIMITS.batchProposalMessageBytes,
    blamelessIgnores: BLAMELESS_BATCH_IGNORES,
  });
  await p2p.serveResults((hash) => core.store.resultMessage(hash));
}
