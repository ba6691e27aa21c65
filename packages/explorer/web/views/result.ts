import {
  decodeTensors,
  ProofMode,
  proofModeName,
  type TensorMap,
  type VerifierResult,
  verifierResultSchema,
} from "@opg/protocol";
import { type Hex, hexToBytes } from "viem";
import { merklePath } from "../checks/inclusion.js";
import { checkTeeResult } from "../checks/tee.js";
import { checkZkResult } from "../checks/zk.js";
import type { Explorer } from "../context.js";
import { clock, h, seconds, short, verdict } from "../dom.js";

/** A verified or settled answer (`GET /v1/results/:requestId`): the result's fields, outputs and batch. */
type ResultAnswer = Extract<VerifierResult, { modelId: unknown }>;

const IRIS_CLASSES = ["setosa", "versicolor", "virginica"];

/** One result: follows it live to settlement, then checks it against the chain from this browser. */
export function resultPage(explorer: Explorer, root: HTMLElement, requestId: Hex, signal: AbortSignal): void {
  const sent = explorer.sent.get(requestId);
  const head = h("section", null, h("h2", null, "Result ", h("span", { class: "mono" }, requestId)));
  const statusEl = h("div", { id: "result-status", class: "status-line" }, "asking the verifiers…");
  const timeline = h("ul", { id: "timeline" });
  const fields = h("div", { id: "fields" });
  const checks = h("section", { id: "checks" }, h("h2", null, "Checked in this browser"));
  root.replaceChildren(head, statusEl, timeline, fields, checks);
  if (sent) {
    timeline.append(h("li", null, `${clock(sent.at)} sent from this page (${sent.model}, ${sent.mode})`));
    if (sent.answeredAt)
      timeline.append(
        h("li", null, `${clock(sent.answeredAt)} executor answered (+${seconds(sent.answeredAt - sent.at)})`),
      );
  }
  const seen = new Set<string>();
  const mark = (status: string) => {
    if (seen.has(status)) return;
    seen.add(status);
    const now = Date.now();
    timeline.append(
      h(
        "li",
        { "data-status": status },
        `${clock(now)} ${status}${sent ? ` (+${seconds(now - sent.at)})` : ""}`,
      ),
    );
  };

  const follow = async () => {
    for (;;) {
      if (signal.aborted) return;
      // Answers parsed with the schema both daemons and the SDK share; a malformed one is left out.
      const answers = (await explorer.fromVerifiers<unknown>(`/v1/results/${requestId}`)).flatMap((body) => {
        const parsed = verifierResultSchema.safeParse(body);
        return parsed.success ? [parsed.data] : [];
      });
      const best =
        answers.find((a) => a.status === "settled" && a.proof) ??
        answers.find((a) => a.status === "settled") ??
        answers.find((a) => a.status === "verified") ??
        answers.find((a) => a.status === "rejected") ??
        answers[0];
      const status = best?.status ?? "pending";
      statusEl.textContent = `status: ${status}`;
      statusEl.dataset["status"] = status;
      mark(status);
      if (best && best.status !== "pending" && best.status !== "rejected") showFields(fields, explorer, best);
      if (best?.status === "rejected") {
        statusEl.textContent = `status: rejected — ${best.reason.code}: ${best.reason.message}`;
        return;
      }
      if (best?.status === "settled" && best.proof) {
        await runChecks(explorer, checks, best);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  void follow().catch((err: unknown) => {
    statusEl.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
  });
}

function showFields(el: HTMLElement, explorer: Explorer, a: ResultAnswer): void {
  let outputs: TensorMap | undefined;
  try {
    outputs = decodeTensors(hexToBytes(a.outputs));
  } catch {
    outputs = undefined;
  }
  const rows: [string, string | Node][] = [
    ["mode", proofModeName(a.mode)],
    ["model", `${explorer.modelName(a.modelId)} (${short(a.modelId)})`],
    ["executor", a.executor],
    ["input hash", a.inputHash],
    ["output hash", a.outputHash],
    ["result hash", a.resultHash],
    [
      "outputs",
      outputs ? describeOutputs(explorer.modelName(a.modelId), outputs) : "(not a canonical encoding)",
    ],
    ["batch", a.batchId ?? "–"],
    ["batch root", a.root ?? "–"],
    ["settlement tx", a.settlementTx ?? "–"],
  ];
  el.replaceChildren(
    h(
      "table",
      { class: "fields" },
      ...rows.map(([k, v]) => h("tr", null, h("th", null, k), h("td", { class: "mono" }, v))),
    ),
  );
}

function describeOutputs(model: string, outputs: TensorMap): string {
  return Object.entries(outputs)
    .map(([name, t]) => {
      const values = Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
      let note = "";
      if (values.length === 3 && model.includes("iris")) {
        note = ` → ${IRIS_CLASSES[values.indexOf(Math.max(...values))]}`;
      } else if (values.length === 2 && model.includes("cls")) {
        note = ` → ${values[0]! >= values[1]! ? "upright (0°)" : "upside down (180°)"}`;
      }
      const shown = values.slice(0, 8).map((v) => (Number.isInteger(v) ? v : v.toFixed(4)));
      return `${name} [${t.dims.join("×")}] ${t.dtype}: ${shown.join(", ")}${values.length > 8 ? ", …" : ""}${note}`;
    })
    .join("\n");
}

async function runChecks(explorer: Explorer, el: HTMLElement, a: ResultAnswer): Promise<void> {
  const batchId = BigInt(a.batchId!);
  const fields = {
    requestId: a.requestId,
    modelId: a.modelId,
    inputHash: a.inputHash,
    outputHash: a.outputHash,
    executor: a.executor,
  };
  const path = merklePath(fields, a.proof ?? []);
  const onChainRoot = await explorer.batchRoot(batchId);
  el.append(
    h("h3", null, "Merkle path"),
    h(
      "ol",
      { id: "merkle-path", class: "mono" },
      h("li", null, `leaf = keccak256(resultHash ${short(path.resultHash)}) = ${path.leaf}`),
      ...path.steps.map((s) => h("li", null, `+ sibling ${s.sibling} → ${s.parent}`)),
    ),
    h("p", { class: "mono" }, `on-chain root of batch ${batchId}: ${onChainRoot}`),
  );
  const rootOk = path.root.toLowerCase() === onChainRoot.toLowerCase() && path.resultHash === a.resultHash;
  el.append(
    verdict(
      rootOk ? "ok" : "fail",
      rootOk
        ? "the path recomputed here ends at the root the hub holds"
        : "the recomputed root is not the hub's root",
    ),
  );
  // The same question to the contract itself (eth_call of InferenceHub.verifyResult), through the SDK.
  const sdkCheck = await explorer
    .sdk()
    .verifyResult(a.requestId)
    .catch((err: unknown) => ({
      verified: false as const,
      failure: { message: err instanceof Error ? err.message : String(err) },
    }));
  el.append(
    verdict(
      sdkCheck.verified ? "ok" : "fail",
      sdkCheck.verified
        ? "InferenceHub.verifyResult (eth_call from this browser, @opg/sdk) says the result is included"
        : `the hub does not confirm inclusion: ${sdkCheck.failure?.message}`,
      "hub-check",
    ),
  );
  let modeOk = true;
  if (a.mode === ProofMode.ZK) {
    el.append(h("h3", null, "ZK proof (Groth16)"));
    const wait = verdict("wait", "verifying the Groth16 proof in this browser…");
    el.append(wait);
    const zk = await checkZkResult(explorer, { ...a });
    wait.remove();
    for (const l of zk.lines) el.append(verdict(l.ok ? "ok" : "fail", l.text));
    el.append(h("p", null, `ZK checks took ${seconds(zk.ms)} here.`));
    modeOk = zk.ok;
  } else if (a.mode === ProofMode.TEE) {
    el.append(h("h3", null, "TEE attestation"));
    const tee = await checkTeeResult(explorer, a).catch((err: unknown) => ({
      ok: false,
      lines: [
        {
          ok: false,
          text: `cannot read the attestation: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
      pcrs: [] as [number, Hex][],
      chain: [] as { subject: string; issuer: string; sha256: Hex }[],
    }));
    if (tee.pcrs.length > 0)
      el.append(
        h(
          "table",
          { class: "fields" },
          ...tee.pcrs.map(([i, v]) => h("tr", null, h("th", null, `PCR${i}`), h("td", { class: "mono" }, v))),
        ),
      );
    if (tee.chain.length > 0)
      el.append(
        h(
          "ol",
          { class: "mono" },
          ...tee.chain.map((c) =>
            h("li", null, `${c.subject} (issuer ${c.issuer}) sha256 ${short(c.sha256, 8)}`),
          ),
        ),
      );
    for (const l of tee.lines) el.append(verdict(l.ok ? "ok" : "fail", l.text));
    modeOk = tee.ok;
  } else {
    el.append(
      verdict(
        "ok",
        "mode NONE: the executor's signature and the verifier quorum only, no proof of the computation",
      ),
    );
  }
  const all = rootOk && sdkCheck.verified && modeOk;
  el.append(
    h(
      "div",
      { id: "verdict", class: `banner ${all ? "ok" : "fail"}`, "data-verified": String(all) },
      all
        ? `✓ verified in this browser${a.mode === ProofMode.ZK ? " (Merkle inclusion on chain and Groth16 proof)" : a.mode === ProofMode.TEE ? " (Merkle inclusion on chain and TEE attestation)" : " (Merkle inclusion on chain)"}`
        : "✗ not verified",
    ),
  );
}
