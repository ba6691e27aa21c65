/**
 * What the engine needs from the daemon's metrics, as structural types: the `Metrics` class of
 * `@opg/daemon` fits them, and so does the no-op version below. (The logger is `@opg/protocol`'s.)
 */
export type MetricLabels = Record<string, string | number>;

export interface CounterMetric {
  inc(labels: MetricLabels, value?: number): void;
}

export interface GaugeMetric {
  set(labels: MetricLabels, value: number): void;
  inc(labels: MetricLabels, value?: number): void;
  dec(labels: MetricLabels, value?: number): void;
}

export interface HistogramMetric {
  observe(labels: MetricLabels, value: number): void;
}

/** `opg_<area>_<name>_<unit>`, as built by `@opg/daemon`'s `Metrics`. */
export type MetricSpec = {
  area: string;
  name: string;
  unit?: string;
  help: string;
  labelNames?: readonly string[];
};

export interface InferenceMetrics {
  counter(spec: MetricSpec): CounterMetric;
  gauge(spec: MetricSpec): GaugeMetric;
  histogram(spec: MetricSpec & { buckets?: readonly number[] }): HistogramMetric;
}

const noop = () => {};

export const noopMetrics: InferenceMetrics = {
  counter: () => ({ inc: noop }),
  gauge: () => ({ set: noop, inc: noop, dec: noop }),
  histogram: () => ({ observe: noop }),
};
