import { type ConfigKey, configKeys } from "@opg/daemon";
import type * as z from "zod";

function defaultText(k: ConfigKey): string {
  if (k.defaultValue === undefined) return "–";
  return `\`${JSON.stringify(k.defaultValue)}\``;
}

function table(keys: readonly ConfigKey[]): string {
  const rows = keys.map(
    (k) =>
      `| \`${k.path}\` | \`${k.env}\` | \`${k.flag}\` | ${k.kind}${k.element ? ` of ${k.element}` : ""} | ${defaultText(k)} | ${(k.description ?? "").replace(/\|/g, "\\|")} |`,
  );
  return [
    "| key | env | flag | type | default | meaning |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/**
 * docs/configuration.md, generated from the daemons' own config schemas, so every key, env
 * variable and flag is listed exactly as the daemons read them.
 */
export function configReference(daemons: readonly { name: string; schema: z.ZodType }[]): string {
  const sets = daemons.map((d) => ({ ...d, keys: configKeys(d.schema) }));
  // A key is listed once for both only when both daemons read it alike (same type, default and
  // meaning); otherwise each daemon's section shows its own (e.g. `database`, `zk.*`).
  const same = (a: ConfigKey, b: ConfigKey) =>
    a.path === b.path &&
    a.kind === b.kind &&
    a.element === b.element &&
    defaultText(a) === defaultText(b) &&
    a.description === b.description;
  const shared = sets[0]!.keys.filter((k) => sets.every((s) => s.keys.some((o) => same(k, o))));
  const sharedPaths = new Set(shared.map((k) => k.path));
  const parts = [
    "# Configuration reference",
    "",
    "Generated from the daemons' config schemas (`pnpm --filter @opg/devnet docs:config`); a test keeps it current.",
    "",
    "Every key can be set in the JSON config file (`--config`, default `<data-dir>/config.json`), as an",
    "environment variable, or as a flag of `start` (and of `register` and `status`). Precedence: flag > env > file",
    "> default. Arrays are comma-separated in env and repeated values after the flag. Paths are relative to",
    "`dataDir`. Everything is validated once at start; an error names the key, its env variable and its flag.",
    "The keystore password is read from `keystore.passwordFile` or `OPG_KEYSTORE_PASSWORD`, never from a flag.",
    "",
    "## Keys of both daemons",
    "",
    table(shared),
  ];
  for (const s of sets) {
    parts.push("", `## Keys of ${s.name} only`, "", table(s.keys.filter((k) => !sharedPaths.has(k.path))));
  }
  return `${parts.join("\n")}\n`;
}
