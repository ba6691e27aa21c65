import { Metrics } from "@opg/daemon";
import { describe, expect, it } from "vitest";
import { STEP_TIMING_SAMPLE, StepMetrics } from "../src/pipeline/StepMetrics.js";
import { createVerifyMetrics } from "../src/verifyMetrics.js";

/** The value of `name`'s series whose labels include `labels`, as a scrape reads it. */
async function read(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const all = await metrics.registry.getMetricsAsJSON();
  const values = all.flatMap((m) =>
    m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })),
  );
  return values.find((v) => v.name === name && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    ?.value;
}

describe("StepMetrics", () => {
  it("default: every passed step is counted by the scrape, failures at once, one run in eight timed", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const steps = new StepMetrics(createVerifyMetrics(metrics));
    const runs = 3 * STEP_TIMING_SAMPLE + 1;
    for (let i = 0; i < runs; i++) {
      const end = steps.start("signature");
      steps.passed("signature");
      end?.();
    }
    steps.failed("signature", "reject", "BAD_SIGNATURE");

    const ok = { step: "signature", result: "ok", code: "" };
    expect(await read(metrics, "opg_verify_validation_steps_total", ok)).toBe(runs);
    expect(
      await read(metrics, "opg_verify_validation_steps_total", {
        ...ok,
        result: "reject",
        code: "BAD_SIGNATURE",
      }),
    ).toBe(1);
    // The first run of a step is timed, then one in eight.
    expect(
      await read(metrics, "opg_verify_validation_step_duration_seconds_count", { step: "signature" }),
    ).toBe(4);

    // Counted again from where the last scrape left off.
    steps.passed("signature");
    expect(await read(metrics, "opg_verify_validation_steps_total", ok)).toBe(runs + 1);
  });
});
