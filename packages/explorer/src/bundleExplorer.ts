import { copyFile, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the bundled page lives (index.html, explorer.js, explorer.css). */
export const EXPLORER_WEB_DIR = join(PACKAGE_DIR, "dist", "web");

/** The files of the bundled page. */
export const EXPLORER_FILES = ["index.html", "explorer.js", "explorer.css"] as const;

/**
 * Bundles the explorer page (web/main.ts and everything it imports: @opg/sdk, @opg/protocol, viem,
 * snarkjs's browser build…) with esbuild for browsers. Workspace packages are taken from their
 * TypeScript sources (`@opg/source` condition, never their `node` entries); a static import of a
 * Node built-in anywhere in that graph fails the build, so the page and the SDK stay browser-safe.
 * Build-time only: esbuild is a dev dependency.
 */
export async function bundleExplorer(
  options: { outDir?: string; entry?: string; minify?: boolean } = {},
): Promise<{ outDir: string; bytes: number }> {
  const { build } = await import("esbuild");
  const outDir = options.outDir ?? EXPLORER_WEB_DIR;
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { explorer: options.entry ?? join(PACKAGE_DIR, "web", "main.ts") },
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox115", "safari16"],
    conditions: ["@opg/source", "browser"],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
    define: { "process.env.NODE_DEBUG": "false", global: "globalThis" },
    plugins: [
      {
        // circomlibjs's entry pulls Node-only modules (assert, streams) for tools the page never uses:
        // the page takes Poseidon (what @opg/zk's commitments need) from its module directly.
        name: "circomlibjs-poseidon",
        setup(b) {
          b.onResolve({ filter: /^circomlibjs$/ }, async (args) => {
            if (args.pluginData === "skip") return undefined;
            const main = await b.resolve("circomlibjs", {
              kind: "import-statement",
              resolveDir: args.resolveDir,
              pluginData: "skip",
            });
            return main.errors.length > 0
              ? undefined
              : { path: join(dirname(main.path), "src", "poseidon_wasm.js") };
          });
        },
      },
      {
        // Node built-ins: a dynamic import (code a browser never reaches) stays external; a static one is an error.
        name: "node-builtins",
        setup(b) {
          b.onResolve({ filter: /^node:/ }, (args) =>
            args.kind === "dynamic-import"
              ? { path: args.path, external: true }
              : { errors: [{ text: `${args.path} is a Node built-in (imported by ${args.importer})` }] },
          );
        },
      },
    ],
  });
  await copyFile(join(PACKAGE_DIR, "web", "index.html"), join(outDir, "index.html"));
  await copyFile(join(PACKAGE_DIR, "web", "explorer.css"), join(outDir, "explorer.css"));
  let bytes = 0;
  for (const f of EXPLORER_FILES) bytes += (await stat(join(outDir, f))).size;
  return { outDir, bytes };
}
