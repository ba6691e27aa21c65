/**
 * What the engine needs from the daemon's plumbing, as structural types: a pino `Logger` and the
 * `Metrics` class of `@opg/daemon` fit them, and so do the no-op versions below.
 */
export interface InferenceLogger {
  child(bindings: Record<string, unknown>): InferenceLogger;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

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

export const silentLogger: InferenceLogger = {
  child: () => silentLogger,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};

export const noopMetrics: InferenceMetrics = {
  counter: () => ({ inc: noop }),
  gauge: () => ({ set: noop, inc: noop, dec: noop }),
  histogram: () => ({ observe: noop }),
};
