import { Writable } from "node:stream";
import { OpgError } from "@opg/protocol";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/index.js";

function sink(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter(Boolean) };
}

describe("createLogger", () => {
  it("default", () => {
    const { stream, lines } = sink();
    const logger = createLogger({ name: "opg-test" }, { destination: stream, isTTY: false });
    logger.child({ module: "http" }).info({ port: 1 }, "listening");
    const line = JSON.parse(lines()[0] as string);
    expect(line).toMatchObject({ name: "opg-test", module: "http", port: 1, msg: "listening", level: 30 });
  });

  it("behavior: an operator error is logged without its stack below debug; a bug keeps it", () => {
    const { stream, lines } = sink();
    const logger = createLogger({}, { destination: stream, isTTY: false });
    const taken = Object.assign(new Error("listen EADDRINUSE: address already in use"), {
      code: "EADDRINUSE",
    });
    logger.error(
      { err: new OpgError("PORT_IN_USE", "HTTP port 1 is already in use", { cause: taken }) },
      "x",
    );
    logger.error({ err: new TypeError("undefined is not a function") }, "bug");
    const [operator, bug] = lines().map((l) => JSON.parse(l) as { err: Record<string, unknown> });
    expect(operator!.err["code"]).toBe("PORT_IN_USE");
    expect(String(operator!.err["message"])).toMatch(/^HTTP port 1 is already in use/);
    expect(JSON.stringify(operator)).not.toContain("    at ");
    expect(bug!.err["stack"]).toContain("    at ");
    const debug = sink();
    createLogger({ level: "debug" }, { destination: debug.stream, isTTY: false }).error(
      { err: new OpgError("PORT_IN_USE", "taken") },
      "x",
    );
    expect(debug.lines()[0]).toContain("    at ");
  });

  it("behavior: secret-looking fields are redacted at any of the first levels", () => {
    const { stream, lines } = sink();
    const logger = createLogger({}, { destination: stream, isTTY: false });
    logger.info(
      { privateKey: "0xabc", keystore: { password: "p" }, a: { b: { mnemonic: "m" } }, ok: "visible" },
      "secrets",
    );
    const text = lines()[0] as string;
    expect(text).not.toContain("0xabc");
    expect(text).not.toContain('"p"');
    expect(text).not.toContain('"m"');
    expect(JSON.parse(text)).toMatchObject({
      privateKey: "[redacted]",
      keystore: { password: "[redacted]" },
      ok: "visible",
    });
  });

  it("args: level", () => {
    const { stream, lines } = sink();
    const logger = createLogger({ level: "warn" }, { destination: stream, isTTY: false });
    logger.info("hidden");
    logger.warn("shown");
    expect(lines()).toHaveLength(1);
  });

  it("args: format pretty", () => {
    const { stream, lines } = sink();
    const logger = createLogger({ format: "pretty" }, { destination: stream, isTTY: false });
    logger.info({ password: "secret-value" }, "hello pretty");
    const text = lines().join("\n");
    expect(text).toContain("hello pretty");
    expect(text).not.toContain("secret-value");
    expect(() => JSON.parse(lines()[0] as string)).toThrow();
  });

  it("behavior: auto is pretty on a TTY", () => {
    const { stream, lines } = sink();
    const logger = createLogger({ format: "auto" }, { destination: stream, isTTY: true });
    logger.info("on a tty");
    expect(() => JSON.parse(lines()[0] as string)).toThrow();
  });
});
