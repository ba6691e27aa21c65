import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, HttpServer } from "@opg/daemon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleExplorer } from "../src/bundleExplorer.js";
import type { ExplorerPageConfig } from "../src/ExplorerPageConfig.js";
import { loadExplorerAssets, mountExplorer } from "../src/mountExplorer.js";

const config: ExplorerPageConfig = {
  chainId: 31337,
  rpcUrl: "http://127.0.0.1:8545",
  hub: "0x0000000000000000000000000000000000000001",
  operatorRegistry: "0x0000000000000000000000000000000000000002",
  modelRegistry: "0x0000000000000000000000000000000000000003",
  publishers: ["0x0000000000000000000000000000000000000004"],
  verifyUrls: [""],
  execUrls: ["http://127.0.0.1:8645"],
};

describe("explorer: served by a daemon", () => {
  const http = new HttpServer({ port: 0 }, { logger: createLogger({ level: "silent" }) });
  const dir = mkdtempSync(join(tmpdir(), "opg-explorer-assets-"));

  beforeAll(async () => {
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>opg explorer</title>");
    writeFileSync(join(dir, "explorer.js"), "console.log(1)");
    writeFileSync(join(dir, "explorer.css"), "body{}");
    writeFileSync(join(dir, "notes.txt"), "not served");
    mountExplorer(http, { config: () => config, assets: await loadExplorerAssets(dir) });
    await http.start();
  });
  afterAll(() => http.stop());

  it("default: the page, its files and config.json; / redirects to the page", async () => {
    const page = await fetch(`${http.url()}/explorer/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("opg explorer");
    const js = await fetch(`${http.url()}/explorer/explorer.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await (await fetch(`${http.url()}/explorer/config.json`)).json()).toEqual(config);
    const root = await fetch(`${http.url()}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/explorer/");
  });

  it("error: files outside the bundle are not served; a missing bundle names the fix", async () => {
    expect((await fetch(`${http.url()}/explorer/notes.txt`)).status).toBe(404);
    expect((await fetch(`${http.url()}/explorer/..%2Fpackage.json`)).status).toBe(404);
    await expect(loadExplorerAssets(join(dir, "missing"))).rejects.toThrow(/pnpm run build/);
  });
});

describe("explorer: the browser bundle", () => {
  it("error: a static import of a Node built-in fails the bundle; a dynamic one stays external", async () => {
    const src = mkdtempSync(join(tmpdir(), "opg-explorer-src-"));
    writeFileSync(
      join(src, "bad.ts"),
      'import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n',
    );
    writeFileSync(join(src, "ok.ts"), 'export const load = () => import("node:fs");\n');
    await expect(
      bundleExplorer({ entry: join(src, "bad.ts"), outDir: join(src, "out-bad") }),
    ).rejects.toThrow(/node:fs is a Node built-in/);
    await expect(
      bundleExplorer({ entry: join(src, "ok.ts"), outDir: join(src, "out-ok") }),
    ).resolves.toMatchObject({ outDir: join(src, "out-ok") });
  });
});
