/** A compiled path pattern such as `/v1/models/:modelId`. */
export type RoutePattern = {
  pattern: string;
  segments: readonly ({ kind: "literal"; value: string } | { kind: "param"; name: string })[];
};

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

export function compileRoute(pattern: string): RoutePattern {
  if (!pattern.startsWith("/")) throw new TypeError(`route pattern must start with "/": ${pattern}`);
  const names = new Set<string>();
  const segments = splitPath(pattern).map((segment) => {
    const param = PARAM.exec(segment);
    if (param) {
      const name = param[1] as string;
      if (names.has(name)) throw new TypeError(`route pattern repeats :${name}: ${pattern}`);
      names.add(name);
      return { kind: "param" as const, name };
    }
    if (segment.includes(":")) throw new TypeError(`invalid route segment "${segment}" in ${pattern}`);
    return { kind: "literal" as const, value: segment };
  });
  return { pattern, segments };
}

/** Params of `path` under `route`, or undefined when it does not match. Params are URI-decoded. */
export function matchRoute(route: RoutePattern, path: string): Record<string, string> | undefined {
  const parts = splitPath(path);
  if (parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = route.segments[i];
    const part = parts[i] as string;
    if (!segment) return undefined;
    if (segment.kind === "literal") {
      if (segment.value !== part) return undefined;
    } else {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (value === "") return undefined;
      params[segment.name] = value;
    }
  }
  return params;
}

function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed === "/" ? [] : trimmed.slice(1).split("/");
}
