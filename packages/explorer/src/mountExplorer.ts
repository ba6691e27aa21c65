import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { HttpError, HttpReply, type HttpServer } from "@opg/daemon";
import { EXPLORER_WEB_DIR } from "./bundleExplorer.js";
import type { ExplorerPageConfig } from "./ExplorerPageConfig.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** Reads the bundled page (built by `pnpm run build`); a clear error when it was not built. */
export async function loadExplorerAssets(dir = EXPLORER_WEB_DIR): Promise<Map<string, Uint8Array>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new Error(
      `The explorer page is not built (no ${dir}): run \`pnpm run build\`, or disable it (explorer.enabled=false).`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    if (CONTENT_TYPES[extname(name)]) files.set(name, new Uint8Array(await readFile(join(dir, name))));
  }
  if (!files.has("index.html") || !files.has("explorer.js")) {
    throw new Error(`The explorer bundle in ${dir} is incomplete: run \`pnpm run build\`.`);
  }
  return files;
}

/**
 * Serves the explorer page from a daemon's HTTP server: `/explorer/` (the page; its views are
 * `#/…` fragments), `/explorer/<file>` (its bundled script and style, from memory), and
 * `/explorer/config.json` (where the chain and the daemons' APIs are). `/` redirects to it.
 */
export function mountExplorer(
  http: HttpServer,
  page: { config: () => ExplorerPageConfig; assets: Map<string, Uint8Array> },
): void {
  const file = (name: string): HttpReply => {
    const bytes = page.assets.get(name);
    if (!bytes) throw new HttpError(404, "NOT_FOUND", `No explorer file ${name.slice(0, 100)}`);
    return HttpReply.raw(bytes, CONTENT_TYPES[extname(name)] ?? "application/octet-stream");
  };
  http.route("GET", "/", () => new HttpReply(302, undefined, { location: "/explorer/" }));
  http.route("GET", "/explorer", () => file("index.html"));
  http.route("GET", "/explorer/:file", (req) => {
    const name = req.params["file"] ?? "";
    return name === "config.json" ? page.config() : file(name);
  });
}
