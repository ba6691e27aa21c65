import type { Counter, Gauge, Histogram } from "prom-client";
import type { HistogramSpec } from "./Metrics.js";

export type MetricType = "counter" | "gauge" | "histogram";

/** One metric of a catalog: its type and spec (`opg_<area>_<name>_<unit>`, help, labels, buckets). */
export type MetricDef<L extends string = string> = HistogramSpec<L> & { type: MetricType };

/** The metrics of one module or area, by the key the module reads them under. */
export type MetricGroup = Readonly<Record<string, MetricDef>>;

/** A daemon's catalog: every metric it exports, by group. */
export type MetricCatalog = Readonly<Record<string, MetricGroup>>;

type LabelsOf<D> = D extends { labelNames: readonly (infer L)[] } ? Extract<L, string> : string;

/** The prom-client metric a definition registers, with its label names. */
export type MetricOf<D extends MetricDef> = D["type"] extends "counter"
  ? Counter<LabelsOf<D>>
  : D["type"] extends "gauge"
    ? Gauge<LabelsOf<D>>
    : Histogram<LabelsOf<D>>;

/** A registered group: what a module takes (or `null` when metrics are off). */
export type MetricsOf<G extends MetricGroup> = { readonly [K in keyof G]: MetricOf<G[K]> };

/** Declares a group, keeping its literal types (metric types, label names) for `MetricsOf`. */
export function defineMetrics<const G extends MetricGroup>(group: G): G {
  return group;
}

const SNAKE = /^[a-z][a-z0-9_]*$/;

/** The full name of a metric: `opg_inference_run_duration_seconds`; counters end in `_total`. */
export function metricName(
  spec: Omit<MetricDef, "help" | "type">,
  type: MetricType,
  prefix = "opg_",
): string {
  for (const [field, value] of [
    ["area", spec.area],
    ["name", spec.name],
    ["unit", spec.unit],
  ] as const) {
    if (value !== undefined && !SNAKE.test(value)) {
      throw new TypeError(`metric ${field} must be snake_case, got "${value}"`);
    }
  }
  let name = `${prefix}${spec.area}_${spec.name}`;
  if (spec.unit !== undefined && spec.unit !== "total") name += `_${spec.unit}`;
  if (type === "counter" && !name.endsWith("_total")) name += "_total";
  return name;
}

/** One row of a catalog, as docs/metrics.md and the dashboard test read it. */
export type CatalogEntry = {
  name: string;
  type: MetricType;
  help: string;
  labelNames: readonly string[];
  group: string;
};

/** Every metric of `catalog` with its full name, sorted by name. */
export function catalogEntries(catalog: MetricCatalog, prefix = "opg_"): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const [group, defs] of Object.entries(catalog)) {
    for (const def of Object.values(defs)) {
      out.push({
        name: metricName(def, def.type, prefix),
        type: def.type,
        help: def.help,
        labelNames: def.labelNames ?? [],
        group,
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
