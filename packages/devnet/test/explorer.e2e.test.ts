import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleExplorer } from "@opg/explorer";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Devnet } from "../src/Devnet.js";
import { devnetModels } from "../src/models.js";
import { chromiumPath } from "./chromium.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Git-ignored: screenshots the browser tests take. */
const SCREENSHOTS = join(ROOT, ".screenshots");

/** Clicks Send; the page goes to the result's view once the executor answered. Its request id. */
async function send(page: Page): Promise<string> {
  await page.click("#send-button");
  const shown = page.waitForFunction('location.hash.startsWith("#/result/0x")', null, {
    timeout: 180_000,
  });
  const failed = page
    .locator("#send-status", { hasText: /^error/ })
    .waitFor({ timeout: 180_000 })
    .then(async () => {
      throw new Error(`the page could not send: ${await page.locator("#send-status").textContent()}`);
    });
  await Promise.race([shown, failed]);
  failed.catch(() => {});
  return page.url().split("/").pop()!;
}

/**
 * The explorer in a real browser (Debian's Chromium, driven by playwright-core) against a devnet
 * (1 executor, 3 verifiers): the page's form sends a request with @opg/sdk bundled for the browser,
 * follows it to settlement and checks it there — Merkle path against the hub's root, the hub's own
 * verifyResult by eth_call, and for ZK the Groth16 proof with snarkjs.
 */
describe("explorer: the page in Chromium against a devnet", () => {
  let devnet: Devnet;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    await bundleExplorer();
    devnet = await Devnet.start({
      dir: mkdtempSync(join(tmpdir(), "opg-explorer-")),
      models: devnetModels(),
      ports: "free",
      executors: 1,
      // Four daemons load at once on 2 shared cores.
      readyTimeoutMs: 180_000,
    });
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (err) => errors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await devnet?.stop();
  });

  it("default: a ZK request sent from the page settles and is verified in this browser", async () => {
    await page.goto(devnet.explorerUrl!);
    await page.selectOption("#model", { label: "iris-mlp" });
    await page.selectOption("#mode", "ZK");
    await page.selectOption("#sample", "virginica");
    const requestId = await send(page);
    const verdict = page.locator("#verdict");
    await verdict.waitFor({ timeout: 180_000 });
    expect(await verdict.getAttribute("data-verified")).toBe("true");
    expect(await verdict.textContent()).toContain("verified in this browser");
    const checks = await page.locator("#checks").textContent();
    expect(checks).toContain("Groth16 proof verified by snarkjs in this browser");
    expect(checks).toContain("InferenceHub.verifyResult");
    expect(await page.locator("#fields").textContent()).toContain("virginica");
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-zk-result.png"), fullPage: true });

    // The overview lists it as settled, in a batch whose signatures check out here.
    await page.goto(`${devnet.explorerUrl!}#/`);
    const row = page.locator(`tr[data-request="${requestId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(["settled", "delivered"]).toContain(await row.getAttribute("data-status"));
    await page.locator("tr[data-batch] .sig.ok").first().waitFor({ timeout: 30_000 });
    expect(await page.locator("tr[data-batch] .sig.fail").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("behavior: a TEE result's attestation is read and checked with WebCrypto", async () => {
    await page.goto(`${devnet.explorerUrl!}#/`);
    await page.selectOption("#model", { label: "paddleocr-cls" });
    await page.selectOption("#mode", "TEE");
    await send(page);
    const verdict = page.locator("#verdict");
    await verdict.waitFor({ timeout: 120_000 });
    const checks = await page.locator("#checks").textContent();
    expect(checks).toContain("certificate chain");
    expect(checks).toContain("PCR0");
    expect(await verdict.getAttribute("data-verified")).toBe("true");
    expect(errors).toEqual([]);
  });
});
