import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type MetricGroup, type MetricsOf, metricName } from "./metricCatalog.js";

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
    return metricName(spec, kind, this.options.prefix);
  }

  /**
   * Registers a group of a daemon's metric catalog (`defineMetrics`): the typed metrics a module
   * takes. Registering a group again returns the metrics already registered.
   */
  register<G extends MetricGroup>(group: G): MetricsOf<G> {
    const out: Record<string, unknown> = {};
    for (const [key, def] of Object.entries(group)) {
      out[key] =
        def.type === "counter"
          ? this.counter(def)
          : def.type === "gauge"
            ? this.gauge(def)
            : this.histogram(def);
    }
    return out as MetricsOf<G>;
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
