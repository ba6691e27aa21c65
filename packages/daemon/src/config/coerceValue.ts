import type { ConfigValueKind } from "./configKeys.js";

export type CoerceResult = { ok: true; value: unknown } | { ok: false; expected: string };

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/**
 * Turns a string from the environment or the command line into the value the schema expects:
 * numbers and booleans are parsed, arrays are comma-separated, other structures are JSON.
 */
export function coerceValue(raw: string, kind: ConfigValueKind, element?: ConfigValueKind): CoerceResult {
  const text = raw.trim();
  switch (kind) {
    case "string":
      return { ok: true, value: raw };
    case "number": {
      const value = text === "" ? Number.NaN : Number(text);
      return Number.isNaN(value) ? { ok: false, expected: "a number" } : { ok: true, value };
    }
    case "bigint":
      try {
        return { ok: true, value: BigInt(text) };
      } catch {
        return { ok: false, expected: "an integer" };
      }
    case "boolean": {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: true };
      if (FALSE.has(lower)) return { ok: true, value: false };
      return { ok: false, expected: "a boolean (true/false, 1/0, yes/no, on/off)" };
    }
    case "array": {
      if (text.startsWith("[")) return parseJson(text, "a JSON array or a comma-separated list");
      const parts = text === "" ? [] : text.split(",").map((part) => part.trim());
      const values: unknown[] = [];
      for (const part of parts) {
        if (part === "") continue;
        const item = coerceValue(part, element ?? "string");
        if (!item.ok)
          return { ok: false, expected: `a comma-separated list of ${item.expected.replace(/^an? /, "")}s` };
        values.push(item.value);
      }
      return { ok: true, value: values };
    }
    case "json":
      return parseJson(text, "JSON");
  }
}

function parseJson(text: string, expected: string): CoerceResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, expected };
  }
}
