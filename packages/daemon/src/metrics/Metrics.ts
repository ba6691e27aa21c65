import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type MetricsOptions = {
  /** Prefix of every metric name. */
  prefix: string;
  /** Collect Node.js process metrics (event loop lag, heap, GC…), prefixed too. */
  defaultMetrics: boolean;
  /** Labels added to every series, e.g. `{daemon: "opg-exec"}`. */
  labels: Readonly<Record<string, string>>;
};

export const defaultMetricsOptions: MetricsOptions = { prefix: "opg_", defaultMetrics: true, labels: {} };

/** `opg_<area>_<name>_<unit>`: area and name in snake_case, unit plural (`seconds`, `bytes`). */
export type MetricSpec<L extends string = string> = {
  area: string;
  name: string;
  /** `seconds`, `bytes`, `requests`…; counters end in `_total` whatever the unit. */
  unit?: string | undefined;
  help: string;
  labelNames?: readonly L[] | undefined;
};

export type HistogramSpec<L extends string = string> = MetricSpec<L> & {
  buckets?: readonly number[] | undefined;
};

const SNAKE = /^[a-z][a-z0-9_]*$/;

/** Seconds buckets from 1 ms to 60 s. */
export const SECONDS_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/**
 * One prom-client registry per daemon (never the global one) with helpers that enforce the naming
 * convention. Creating a metric twice returns the existing one, so a module can be rebuilt.
 */
export class Metrics {
  readonly registry: Registry;
  readonly options: MetricsOptions;

  constructor(options: Partial<MetricsOptions> = {}) {
    this.options = { ...defaultMetricsOptions, ...options };
    this.registry = new Registry();
    if (Object.keys(this.options.labels).length > 0)
      this.registry.setDefaultLabels({ ...this.options.labels });
    if (this.options.defaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: this.options.prefix });
  }

  /** The full name for a spec: `opg_inference_run_duration_seconds`. */
  metricName(spec: MetricSpec, kind: "counter" | "gauge" | "histogram"): string {
    for (const [field, value] of [
      ["area", spec.area],
      ["name", spec.name],
      ["unit", spec.unit],
    ] as const) {
      if (value !== undefined && !SNAKE.test(value)) {
        throw new TypeError(`metric ${field} must be snake_case, got "${value}"`);
      }
    }
    let name = `${this.options.prefix}${spec.area}_${spec.name}`;
    if (spec.unit !== undefined && spec.unit !== "total") name += `_${spec.unit}`;
    if (kind === "counter" && !name.endsWith("_total")) name += "_total";
    return name;
  }

  counter<L extends string = string>(spec: MetricSpec<L>): Counter<L> {
    const name = this.metricName(spec, "counter");
    return (
      this.existing(name, Counter) ?? new Counter<L>({ ...this.base(spec, name), registers: [this.registry] })
    );
  }

  gauge<L extends string = string>(spec: MetricSpec<L>): Gauge<L> {
    const name = this.metricName(spec, "gauge");
    return (
      this.existing(name, Gauge) ?? new Gauge<L>({ ...this.base(spec, name), registers: [this.registry] })
    );
  }

  histogram<L extends string = string>(spec: HistogramSpec<L>): Histogram<L> {
    const name = this.metricName(spec, "histogram");
    const buckets = spec.buckets ?? (spec.unit === "seconds" ? SECONDS_BUCKETS : undefined);
    return (
      this.existing(name, Histogram) ??
      new Histogram<L>({
        ...this.base(spec, name),
        ...(buckets ? { buckets: [...buckets] } : {}),
        registers: [this.registry],
      })
    );
  }

  /** Prometheus text exposition of every metric in this registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private base<L extends string>(spec: MetricSpec<L>, name: string) {
    return { name, help: spec.help, labelNames: [...(spec.labelNames ?? [])] as L[] };
  }

  private existing<T>(name: string, type: abstract new (...args: never[]) => T): T | undefined {
    const metric = this.registry.getSingleMetric(name);
    if (metric === undefined) return undefined;
    if (!(metric instanceof type)) throw new TypeError(`metric ${name} already exists with another type`);
    return metric;
  }
}
