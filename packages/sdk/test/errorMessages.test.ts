import { describe, expect, it } from "vitest";
import { createOpgClient, toMode } from "../src/index.js";

/** The message a dApp developer reads, whatever threw it. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  throw new Error("expected an error");
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  throw new Error("expected a rejection");
}

const hub = "0x0000000000000000000000000000000000000001";

// The texts of the errors a dApp developer meets first, as viem snapshots its own: a change of
// wording is a reviewed change.
describe("SDK error messages", () => {
  it("error: invalid client options name every problem", () => {
    expect(
      messageOf(() =>
        createOpgClient({ rpcUrl: "localhost:8545", hub: "0x12", execUrl: "ftp://x", chainId: -1 }),
      ),
    ).toMatchInlineSnapshot(`
      "INVALID_ARGUMENT: Invalid opg client options.

      Details: rpcUrl: an http:// or https:// URL; hub: the InferenceHub address; execUrl: an http:// or https:// URL; chainId: a positive integer"
    `);
  });

  it("error: an unknown proof mode", () => {
    expect(messageOf(() => toMode("SNARK" as never))).toMatchInlineSnapshot(
      `"INVALID_ARGUMENT: mode must be NONE, ZK or TEE (or 0, 1, 2); got SNARK."`,
    );
  });

  it("error: a bad private key", () => {
    expect(
      messageOf(() => createOpgClient({ rpcUrl: "http://127.0.0.1:1", hub, account: "0x1234" })),
    ).toMatchInlineSnapshot(
      `"INVALID_ARGUMENT: account: a LocalAccount or a 32-byte 0x-prefixed private key."`,
    );
  });

  it("error: an option an action needs is missing", async () => {
    const client = createOpgClient({ rpcUrl: "http://127.0.0.1:1", hub });
    expect(
      await rejectionOf(client.requestDirect({ modelId: `0x${"ab".repeat(32)}`, inputs: {} })),
    ).toMatchInlineSnapshot(
      `"MISSING_CONFIG: requestDirect needs the \`execUrl\` option of createOpgClient."`,
    );
    expect(await rejectionOf(client.verifyResult(`0x${"cd".repeat(32)}`))).toMatchInlineSnapshot(
      `"MISSING_CONFIG: verifyResult needs the \`verifyUrl\` option of createOpgClient."`,
    );
    expect(await rejectionOf(client.getResult("0x12"))).toMatchInlineSnapshot(
      `"INVALID_ARGUMENT: requestId must be a 0x-prefixed 32-byte hex string."`,
    );
  });

  it("error: ZK requests take float32 or uint8 inputs", async () => {
    const client = createOpgClient({
      rpcUrl: "http://127.0.0.1:1",
      hub,
      execUrl: "http://127.0.0.1:1",
      account: `0x${"11".repeat(32)}`,
    });
    expect(
      await rejectionOf(
        client.requestDirect({
          modelId: `0x${"ab".repeat(32)}`,
          mode: "ZK",
          inputs: { x: { dtype: "float64", dims: [1], data: new Float64Array([1]) } },
        }),
      ),
    ).toMatchInlineSnapshot(`
      "INVALID_ARGUMENT: ZK requests take float32 or uint8 inputs; input "x" is float64.

      Details: Convert the inputs to float32 (Float32Array), or uint8 for a model that takes bytes: that is what the proof binds and the chain checks."
    `);
  });
});
