import { describe, expect, it } from "vitest";
import { catalogEntries, defineMetrics, Metrics } from "../src/index.js";

describe("Metrics", () => {
  it("default", async () => {
    const metrics = new Metrics();
    const text = await metrics.text();
    expect(text).toContain("opg_process_cpu_seconds_total");
    expect(text).toContain("opg_nodejs_eventloop_lag_seconds");
    expect(metrics.contentType).toContain("text/plain");
  });

  it("behavior: names follow opg_<area>_<name>_<unit>", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics
      .counter({ area: "inference", name: "rejected_busy", help: "h", labelNames: ["model"] })
      .inc({ model: "m" });
    metrics.histogram({ area: "inference", name: "run_duration", unit: "seconds", help: "h" }).observe(0.2);
    metrics.gauge({ area: "inference", name: "queue_depth", help: "h" }).set(3);
    const text = await metrics.text();
    expect(text).toContain('opg_inference_rejected_busy_total{model="m"} 1');
    expect(text).toContain('opg_inference_run_duration_seconds_bucket{le="0.25"} 1');
    expect(text).toContain("opg_inference_queue_depth 3");
  });

  it("behavior: a per-daemon registry, and the same metric twice is the same object", async () => {
    const a = new Metrics({ defaultMetrics: false, labels: { daemon: "opg-exec" } });
    const b = new Metrics({ defaultMetrics: false });
    const spec = { area: "p2p", name: "peers", help: "h" };
    expect(a.gauge(spec)).toBe(a.gauge(spec));
    a.gauge(spec).set(2);
    expect(await b.text()).not.toContain("opg_p2p_peers");
    expect(await a.text()).toContain('opg_p2p_peers{daemon="opg-exec"} 2');
  });

  it("error: names that break the convention", () => {
    const metrics = new Metrics({ defaultMetrics: false });
    expect(() => metrics.counter({ area: "Inference", name: "x", help: "h" })).toThrow(/snake_case/);
    metrics.counter({ area: "a", name: "b", help: "h" });
    expect(() => metrics.gauge({ area: "a", name: "b_total", help: "h" })).toThrow(/another type/);
  });

  it("behavior: a catalog group registers typed metrics, once; catalogEntries lists their full names", async () => {
    const group = defineMetrics({
      runs: { type: "counter", area: "test", name: "runs", help: "h", labelNames: ["model"] },
      depth: { type: "gauge", area: "test", name: "queue_depth", help: "h" },
      wait: { type: "histogram", area: "test", name: "wait", unit: "seconds", help: "h" },
    });
    const metrics = new Metrics({ defaultMetrics: false });
    const m = metrics.register(group);
    expect(metrics.register(group).runs).toBe(m.runs);
    m.runs.inc({ model: "a" });
    m.depth.set(2);
    m.wait.observe(0.2);
    const text = await metrics.text();
    expect(text).toContain('opg_test_runs_total{model="a"} 1');
    expect(text).toContain("opg_test_queue_depth 2");
    expect(text).toContain('opg_test_wait_seconds_bucket{le="0.25"} 1');
    expect(catalogEntries({ test: group }).map((e) => [e.name, e.type, e.labelNames])).toEqual([
      ["opg_test_queue_depth", "gauge", []],
      ["opg_test_runs_total", "counter", ["model"]],
      ["opg_test_wait_seconds", "histogram", []],
    ]);
  });
});
