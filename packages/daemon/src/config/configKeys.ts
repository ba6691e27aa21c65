import type * as z from "zod";

/** How a leaf value is written in the environment or on the command line. */
export type ConfigValueKind = "string" | "number" | "bigint" | "boolean" | "array" | "json";

/** One settable configuration key, derived from the schema. */
export type ConfigKey = {
  /** Dotted path, e.g. `p2p.listen`. */
  path: string;
  segments: readonly string[];
  /** Environment variable, e.g. `OPG_P2P_LISTEN`. */
  env: string;
  /** CLI flag, e.g. `--p2p.listen` or `--http.request-timeout-ms`. */
  flag: string;
  kind: ConfigValueKind;
  /** Element kind for arrays (comma-separated in env and flags). */
  element: ConfigValueKind | undefined;
  description: string | undefined;
  defaultValue: unknown;
  /** Looks like a secret (password, private key…): its value is never echoed in messages. */
  secret: boolean;
};

export type ConfigKeysOptions = { envPrefix?: string | undefined };

const SECRET_KEY = /pass(word|phrase)?|secret|private.?key|mnemonic|seed|token|api.?key/i;

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  defaultValue?: unknown;
};

function defOf(schema: z.ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** Strips wrappers (optional, default, pipe…) and returns the core schema and the default, if any. */
export function unwrapSchema(schema: z.ZodType): {
  core: z.ZodType;
  defaultValue: unknown;
  description: string | undefined;
} {
  let current = schema;
  let defaultValue: unknown;
  let description: string | undefined = schema.description;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.type === "default" || def.type === "prefault") {
      if (defaultValue === undefined) defaultValue = def.defaultValue;
      current = def.innerType as z.ZodType;
    } else if (
      def.type === "optional" ||
      def.type === "nullable" ||
      def.type === "nonoptional" ||
      def.type === "readonly" ||
      def.type === "catch"
    ) {
      current = def.innerType as z.ZodType;
    } else if (def.type === "pipe") {
      current = (def.in?._zod.def.type === "transform" ? def.out : def.in) as z.ZodType;
    } else {
      break;
    }
    description ??= current.description;
  }
  return { core: current, defaultValue, description };
}

/** The object shape of a schema (after unwrapping), or undefined when it is not a plain object. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = defOf(unwrapSchema(schema).core);
  if (def.type !== "object" || !def.shape) return undefined;
  return def.shape;
}

/** True when the object accepts keys beyond its shape (catchall/passthrough). */
export function acceptsExtraKeys(schema: z.ZodType): boolean {
  const def = defOf(unwrapSchema(schema).core);
  return def.type === "object" && def.catchall !== undefined && defOf(def.catchall).type !== "never";
}

function kindOf(schema: z.ZodType): ConfigValueKind {
  const type = defOf(unwrapSchema(schema).core).type;
  switch (type) {
    case "string":
    case "enum":
    case "literal":
    case "template_literal":
      return "string";
    case "number":
    case "int":
      return "number";
    case "bigint":
      return "bigint";
    case "boolean":
      return "boolean";
    case "array":
      return "array";
    default:
      return "json";
  }
}

/** `requestTimeoutMs` → `REQUEST_TIMEOUT_MS`. */
export function toEnvSegment(segment: string): string {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

/** `requestTimeoutMs` → `request-timeout-ms`. */
export function toFlagSegment(segment: string): string {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase();
}

/** Every leaf key of an object schema, with its env variable and flag. */
export function configKeys(schema: z.ZodType, options: ConfigKeysOptions = {}): ConfigKey[] {
  const prefix = options.envPrefix ?? "OPG_";
  const keys: ConfigKey[] = [];
  const walk = (node: z.ZodType, segments: string[]): void => {
    const shape = objectShape(node);
    if (shape && segments.length < 16) {
      for (const [name, child] of Object.entries(shape)) walk(child, [...segments, name]);
      return;
    }
    if (segments.length === 0) return;
    const { core, defaultValue, description } = unwrapSchema(node);
    const kind = kindOf(core);
    const elementSchema = kind === "array" ? defOf(core).element : undefined;
    keys.push({
      path: segments.join("."),
      segments,
      env: prefix + segments.map(toEnvSegment).join("_"),
      flag: `--${segments.map(toFlagSegment).join(".")}`,
      kind,
      element: elementSchema ? kindOf(elementSchema) : undefined,
      description,
      defaultValue,
      secret: segments.some((s) => SECRET_KEY.test(s)),
    });
  };
  walk(schema, []);
  return keys;
}
