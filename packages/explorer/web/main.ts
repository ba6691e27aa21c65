import { Explorer } from "./context.js";
import { h } from "./dom.js";
import { overview } from "./views/overview.js";
import { resultPage } from "./views/result.js";

/** The explorer page: `#/` overview, `#/result/<requestId>` one result. */
async function main(): Promise<void> {
  const app = document.getElementById("app")!;
  const explorer = await Explorer.load();
  document.getElementById("chain")!.textContent =
    `chain ${explorer.config.chainId} · hub ${explorer.config.hub} · RPC ${explorer.config.rpcUrl}`;
  let current: AbortController | undefined;
  const route = () => {
    current?.abort();
    current = new AbortController();
    const m = /^#\/result\/(0x[0-9a-fA-F]{64})$/.exec(location.hash);
    if (m) resultPage(explorer, app, m[1]!.toLowerCase() as `0x${string}`, current.signal);
    else overview(explorer, app, current.signal);
  };
  window.addEventListener("hashchange", route);
  route();
}

main().catch((err: unknown) => {
  document
    .getElementById("app")
    ?.replaceChildren(h("p", { class: "error" }, `explorer failed to start: ${String(err)}`));
});
