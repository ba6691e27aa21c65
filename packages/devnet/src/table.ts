/** A plain text table: a header row, a rule, then the rows, columns padded to their widths. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** `0x1234…abcd` for long hex values. */
export function short(hex: string | undefined, keep = 6): string {
  if (!hex) return "–";
  return hex.length > 2 * keep + 3 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex;
}
