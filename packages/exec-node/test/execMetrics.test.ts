import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClient } from "@opg/chain";
import { catalogEntries, createLogger, HttpServer, Metrics } from "@opg/daemon";
import { InferenceEngine } from "@opg/inference";
import { P2PNode } from "@opg/p2p";
import { ChainMetrics, FeesGauge } from "@opg/runtime";
import { zeroAddress } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { createExecMetrics, execMetricsCatalog } from "../src/execMetrics.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("execMetricsCatalog", () => {
  it("default: is what opg-exec's modules register, metric for metric, with the same types and labels", async () => {
    const dir = await mkdtemp(join(tmpdir(), "opg-exec-metrics-"));
    dirs.push(dir);
    const metrics = new Metrics({ defaultMetrics: false });
    const logger = createLogger({ level: "silent" });
    // The modules NodeRuntime and ExecNode build, each registering its part (nothing is started).
    new HttpServer({ port: 0 }, { logger, metrics });
    new P2PNode({ chainId: 31337, peerKeyPath: join(dir, "peer.key") }, { logger, metrics });
    new ChainMetrics(metrics).watcher("inference-requested");
    new FeesGauge(
      { area: "exec", intervalMs: 60_000 },
      {
        client: createChainClient({ rpcUrl: "http://127.0.0.1:1", chainId: 31337 }),
        hub: zeroAddress,
        account: zeroAddress,
        metrics,
        logger,
      },
    );
    new InferenceEngine({ modelDir: join(dir, "models") }, { logger, metrics });
    createExecMetrics(metrics);

    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => ({
      name: m.name,
      type: String(m.type),
      help: m.help,
    }));
    const catalog = catalogEntries(execMetricsCatalog).map(({ name, type, help }) => ({ name, type, help }));
    expect(registered.sort((a, b) => a.name.localeCompare(b.name))).toEqual(catalog);
    for (const entry of catalogEntries(execMetricsCatalog)) {
      const metric = metrics.registry.getSingleMetric(entry.name) as unknown as { labelNames: string[] };
      expect(metric.labelNames, entry.name).toEqual([...entry.labelNames]);
    }
  });

  it("behavior: metric names are unique across the catalog's groups", () => {
    const names = catalogEntries(execMetricsCatalog).map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
