import { existsSync } from "node:fs";

/** Debian's Chromium (`apt-get install -y chromium`; scripts/test installs it where missing). */
export function chromiumPath(): string {
  const found = [process.env["OPG_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
    (p): p is string => p !== undefined && p !== "" && existsSync(p),
  );
  if (!found) {
    throw new Error(
      "Chromium is not installed: run `apt-get update && apt-get install -y chromium` (scripts/test does it), or set OPG_CHROMIUM to its path.",
    );
  }
  return found;
}
