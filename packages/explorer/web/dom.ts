/** A tiny DOM builder: `h("td", {class: "x"}, "text", child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> | null = null,
  ...children: (Node | string | number | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** `0x1234…abcd` */
export function short(hex: string | null | undefined, keep = 6): string {
  if (!hex) return "–";
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** Seconds with one decimal, or "–". */
export function seconds(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? "–" : `${(ms / 1000).toFixed(2)} s`;
}

export function clock(ms: number | undefined): string {
  return ms === undefined ? "–" : new Date(ms).toLocaleTimeString();
}

/** A check's outcome line: ✓ / ✗ / … with text. */
export function verdict(state: "ok" | "fail" | "wait", text: string, testId?: string): HTMLElement {
  const mark = state === "ok" ? "✓" : state === "fail" ? "✗" : "…";
  return h("div", { class: `verdict ${state}`, "data-testid": testId }, `${mark} ${text}`);
}
