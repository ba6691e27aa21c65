import { recoverBatchRootSigner } from "@opg/protocol";
import type { Hex } from "viem";
import type { ExecModel, Explorer } from "../context.js";
import { type BatchRow, loadBatches, loadResults, type ResultRow } from "../data.js";
import { clock, h, seconds, short } from "../dom.js";
import { clsInput, drawTextLine, IRIS_SAMPLES, irisInput } from "../inputs.js";

/** The overview: request form, recent requests and results, batches, verifier set. Refreshes itself. */
export function overview(explorer: Explorer, root: HTMLElement, signal: AbortSignal): void {
  const results = h("section", { id: "results" }, h("h2", null, "Recent requests and results"), "loading…");
  const batches = h("section", { id: "batches" }, h("h2", null, "Batches"), "loading…");
  const verifiers = h("section", { id: "verifiers" }, h("h2", null, "Verifier set"), "loading…");
  root.replaceChildren(requestForm(explorer), results, batches, verifiers);

  const refresh = async () => {
    const [set, batchRows] = await Promise.all([explorer.verifierSet(), loadBatches(explorer)]);
    const rows = await loadResults(explorer, batchRows);
    if (signal.aborted) return;
    results.replaceChildren(h("h2", null, "Recent requests and results"), resultsTable(explorer, rows));
    batches.replaceChildren(h("h2", null, "Batches"), batchesTable(explorer, batchRows, set.signers));
    verifiers.replaceChildren(
      h("h2", null, "Verifier set"),
      h(
        "p",
        null,
        `f = ${set.f}: a batch root settles with ${set.f + 1} signatures; config digest ${short(set.digest)}`,
      ),
      h("ul", null, ...set.signers.map((s) => h("li", { class: "mono" }, s))),
    );
  };
  const loop = async () => {
    while (!signal.aborted) {
      await refresh().catch((err: unknown) => {
        results.replaceChildren(h("h2", null, "Recent requests and results"), `error: ${String(err)}`);
      });
      await new Promise((r) => setTimeout(r, 1_500));
    }
  };
  void loop();
}

function resultsTable(explorer: Explorer, rows: ResultRow[]): HTMLElement {
  if (rows.length === 0) return h("p", null, "No requests yet: send one above.");
  return h(
    "table",
    null,
    h(
      "tr",
      null,
      ...[
        "request",
        "via",
        "mode",
        "model",
        "executor",
        "status",
        "batch",
        "received",
        "received → batched",
        "settled (block time)",
      ].map((t) => h("th", null, t)),
    ),
    ...rows.map((r) =>
      h(
        "tr",
        { "data-request": r.requestId, "data-status": r.status },
        h("td", { class: "mono" }, h("a", { href: `#/result/${r.requestId}` }, short(r.requestId))),
        h("td", null, r.via),
        h("td", null, r.mode ?? explorer.sent.get(r.requestId)?.mode ?? "–"),
        h(
          "td",
          null,
          r.modelId ? explorer.modelName(r.modelId) : (explorer.sent.get(r.requestId)?.model ?? "–"),
        ),
        h("td", { class: "mono" }, short(r.executor)),
        h("td", { class: `status ${r.status}`, title: r.reason }, r.status),
        h("td", null, r.batchId ?? "–"),
        h("td", null, clock(r.receivedAt)),
        h(
          "td",
          null,
          r.batchedAt !== undefined && r.receivedAt !== undefined
            ? seconds(Math.max(0, r.batchedAt - r.receivedAt))
            : "–",
        ),
        h("td", null, clock(r.settledAt)),
      ),
    ),
  );
}

function batchesTable(explorer: Explorer, rows: BatchRow[], set: readonly Hex[]): HTMLElement {
  if (rows.length === 0) return h("p", null, "No batches yet.");
  const domain = { chainId: explorer.config.chainId, verifyingContract: explorer.config.hub };
  return h(
    "table",
    null,
    h(
      "tr",
      null,
      ...[
        "batch",
        "status",
        "root",
        "size",
        "proposer",
        "settlement tx",
        "settled",
        "signatures (checked here)",
      ].map((t) => h("th", null, t)),
    ),
    ...rows.map((b) => {
      const sigs = b.signatures.map((s) => {
        let ok = false;
        try {
          const signer = recoverBatchRootSigner(
            domain,
            { batchId: BigInt(b.batchId), root: b.root, count: b.count, configDigest: b.configDigest },
            s.signature,
          );
          // The signature recovers to the verifier it claims, and that verifier is in the on-chain set.
          ok =
            signer.toLowerCase() === s.verifier.toLowerCase() &&
            set.some((v) => v.toLowerCase() === signer.toLowerCase());
        } catch {
          ok = false;
        }
        return h(
          "div",
          { class: `mono sig ${ok ? "ok" : "fail"}`, title: s.signature },
          `${ok ? "✓" : "✗"} ${short(s.verifier, 4)}`,
        );
      });
      return h(
        "tr",
        { "data-batch": b.batchId },
        h("td", null, b.batchId),
        h("td", { class: `status ${b.status}` }, b.status),
        h("td", { class: "mono", title: b.root }, short(b.root)),
        h("td", null, b.count),
        h("td", { class: "mono" }, short(b.proposer, 4)),
        h("td", { class: "mono", title: b.settlementTx ?? "" }, short(b.settlementTx)),
        h("td", null, clock(b.settledAt)),
        h("td", null, ...sigs),
      );
    }),
  );
}

/** The request form: a devnet model, a mode it allows, an input; sends with the SDK and follows the result. */
function requestForm(explorer: Explorer): HTMLElement {
  const section = h("section", { id: "send" }, h("h2", null, "Send a request"));
  const models = explorer.models.filter((m) => m.modes.length > 0);
  if (models.length === 0) {
    section.append(
      h("p", null, "No executor API is configured for this page (explorer.execUrls), or it lists no model."),
    );
    return section;
  }
  const modelSelect = h(
    "select",
    { id: "model" },
    ...models.map((m) => h("option", { value: m.modelId }, m.name)),
  );
  const modeSelect = h("select", { id: "mode" });
  const inputBox = h("div", { class: "input" });
  const status = h("div", { id: "send-status" });
  const button = h("button", { id: "send-button", type: "submit" }, "Send");
  let makeInput: () => Record<string, unknown> = () => ({});

  const chosen = (): ExecModel => models.find((m) => m.modelId === modelSelect.value) ?? models[0]!;
  const render = () => {
    const m = chosen();
    modeSelect.replaceChildren(...m.modes.map((mode) => h("option", { value: mode }, mode)));
    const inputName = m.inputs[0]?.name ?? "input";
    const dims = m.inputs[0]?.shape ?? [];
    if (dims.length === 4 && Number(dims[1]) === 3) {
      // An image model (PaddleOCR's direction classifier): a text line, upright or upside down.
      const text = h("input", { id: "text", value: "opg verifiable", size: "16" });
      const flip = h(
        "select",
        { id: "orientation" },
        h("option", { value: "0" }, "upright"),
        h("option", { value: "180" }, "upside down"),
      );
      const preview = h("span", { class: "preview" });
      const draw = () => preview.replaceChildren(drawTextLine(text.value, flip.value === "180"));
      text.addEventListener("input", draw);
      flip.addEventListener("change", draw);
      draw();
      inputBox.replaceChildren(h("label", null, "text line ", text), " ", flip, " ", preview);
      makeInput = () =>
        clsInput(preview.firstChild as HTMLCanvasElement, inputName) as Record<string, unknown>;
    } else {
      const preset = h(
        "select",
        { id: "sample" },
        ...Object.keys(IRIS_SAMPLES).map((k) => h("option", { value: k }, k)),
      );
      const values = h("input", { id: "values", size: "24", value: IRIS_SAMPLES["setosa"]!.join(", ") });
      preset.addEventListener("change", () => {
        values.value = IRIS_SAMPLES[preset.value]!.join(", ");
      });
      inputBox.replaceChildren(
        h("label", null, "iris flower ", preset),
        " ",
        h("label", null, "features (cm) ", values),
      );
      makeInput = () =>
        irisInput(
          values.value.split(",").map((v) => Number(v.trim())),
          inputName,
        ) as Record<string, unknown>;
    }
  };
  modelSelect.addEventListener("change", render);
  render();

  const form = h(
    "form",
    null,
    h("label", null, "model ", modelSelect),
    " ",
    h("label", null, "mode ", modeSelect),
    " ",
    inputBox,
    " ",
    button,
    status,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const m = chosen();
    const mode = modeSelect.value as "NONE" | "ZK" | "TEE";
    button.setAttribute("disabled", "");
    status.textContent = `sending to ${m.execUrl} (${mode === "ZK" ? "the executor proves: a few seconds" : "running"})…`;
    const at = Date.now();
    explorer
      .sdk(m.execUrl)
      .requestDirect({ modelId: m.modelId, mode, inputs: makeInput() as never })
      .then((res) => {
        explorer.sent.set(res.requestId, { at, model: m.name, mode, answeredAt: Date.now() });
        location.hash = `#/result/${res.requestId}`;
      })
      .catch((err: unknown) => {
        status.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
      })
      .finally(() => button.removeAttribute("disabled"));
  });
  section.append(form);
  return section;
}
