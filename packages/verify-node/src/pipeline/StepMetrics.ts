import type { VerifyMetrics } from "../verifyMetrics.js";

/** One step run in this many is timed (per step, in turn). */
export const STEP_TIMING_SAMPLE = 8;

type Counted = { collect?: (() => unknown) | undefined };

/**
 * The validation steps' metrics at a cost the hot path can carry. prom-client builds, checks and
 * hashes the label set on every call that names one: nine steps counted and timed cost the
 * pipeline 30 to 60 µs of CPU per result, a tenth to a sixth of it (`pnpm bench:verify`, with and
 * without metrics). So a passed step is counted in a plain number, added to
 * `opg_verify_validation_steps_total` when the counter is read (its `collect` hook, run at every
 * scrape, so the figure read is exact), and one run of each step in `STEP_TIMING_SAMPLE` is timed
 * into `opg_verify_validation_step_duration_seconds`. A step that fails is counted at once (rare,
 * and it carries its code).
 */
export class StepMetrics {
  private readonly passedCounts = new Map<string, { pending: number; runs: number }>();

  constructor(private readonly metrics: VerifyMetrics) {
    const counter = metrics.validationSteps as unknown as Counted;
    const previous = counter.collect;
    counter.collect = () => {
      this.flush();
      return previous?.();
    };
  }

  /** Starts timing a run of `step` when it is sampled: the function that ends it, or undefined. */
  start(step: string): (() => unknown) | undefined {
    const c = this.countOf(step);
    c.runs = (c.runs + 1) % STEP_TIMING_SAMPLE;
    return c.runs === 0 ? this.metrics.validationStepDuration.startTimer({ step }) : undefined;
  }

  passed(step: string): void {
    this.countOf(step).pending++;
  }

  failed(step: string, result: string, code: string): void {
    this.metrics.validationSteps.inc({ step, result, code });
  }

  /** Adds the passed steps counted since the last flush to the counter. */
  flush(): void {
    for (const [step, c] of this.passedCounts) {
      if (c.pending === 0) continue;
      this.metrics.validationSteps.inc({ step, result: "ok", code: "" }, c.pending);
      c.pending = 0;
    }
  }

  private countOf(step: string): { pending: number; runs: number } {
    let c = this.passedCounts.get(step);
    if (c === undefined) {
      c = { pending: 0, runs: STEP_TIMING_SAMPLE - 1 };
      this.passedCounts.set(step, c);
    }
    return c;
  }
}
