import { Writable } from "node:stream";
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
