import { type CatalogEntry, catalogEntries, type MetricCatalog } from "@opg/daemon";

const INTRO = `# Metrics reference

Every daemon serves Prometheus metrics at \`GET /metrics\` (prom-client, one registry per daemon).
Names follow \`opg_<area>_<name>_<unit>\`, seconds for time, \`_total\` for counters; every series carries
a \`daemon\` label (\`opg-exec\` or \`opg-verify\`). Node.js process metrics (\`opg_process_*\`, \`opg_nodejs_*\`:
CPU, memory, event loop lag, GC) are collected too. \`docker/grafana/dashboards/opg.json\` charts them.

This page is generated from the daemons' metric catalogs (\`execMetricsCatalog\` in
\`packages/exec-node/src/execMetrics.ts\`, \`verifyMetricsCatalog\` in
\`packages/verify-node/src/verifyMetrics.ts\`): \`pnpm --filter @opg/devnet docs:metrics\`.
`;

const OUTRO = `
\`opg_chain_*\` come from the transaction sender and the log watchers. Their \`label\` is the
transaction's label (the contract function by default: \`settleBatch\`, \`registerEnclave\`…; \`none\` when a
send names none; a \`(…)\` suffix such as a batch id is dropped), \`code\` a fixed error code, \`watcher\`
the watcher's name (\`inference-requested\`: the on-chain intake of opg-exec, when \`onchain.enabled\`).
Each label keeps at most 64 values (more become \`other\`). Details of each send stay in the log lines
(\`module: chain-sender\`, \`chain-inference-requests\`).

Read from the devnet's daemons (\`scripts/devnet --keep\`, then \`curl <http>/metrics\`).
`;

/** One metric of the page: its catalog entry and the daemons that export it. */
export type MetricsReferenceRow = CatalogEntry & { daemons: string[] };

/** Every metric of the daemons' catalogs, by name, with the daemons that export it. */
export function metricsReferenceRows(
  daemons: readonly { name: string; catalog: MetricCatalog }[],
): MetricsReferenceRow[] {
  const rows = new Map<string, MetricsReferenceRow>();
  for (const d of daemons) {
    for (const entry of catalogEntries(d.catalog)) {
      const row = rows.get(entry.name);
      if (row === undefined) {
        rows.set(entry.name, { ...entry, daemons: [d.name] });
        continue;
      }
      if (
        row.type !== entry.type ||
        row.help !== entry.help ||
        row.labelNames.join() !== entry.labelNames.join()
      ) {
        throw new Error(`${entry.name} is defined differently by ${row.daemons.join(", ")} and ${d.name}`);
      }
      row.daemons.push(d.name);
    }
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** docs/metrics.md, generated from the daemons' metric catalogs. */
export function metricsReference(daemons: readonly { name: string; catalog: MetricCatalog }[]): string {
  const rows = metricsReferenceRows(daemons).map(
    (r) =>
      `| \`${r.name}\` | ${r.type} | ${r.labelNames.length > 0 ? r.labelNames.join(", ") : "–"} | ${r.daemons.join(", ")} | ${cell(r.help)} |`,
  );
  return [
    INTRO,
    "| metric | type | labels | daemons | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    OUTRO,
  ].join("\n");
}
