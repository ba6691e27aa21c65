import { Until } from "@opg/testkit";
import { createWalletClient, custom, getAddress, type Hash, parseEther, parseGwei } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { operatorRegistryAbi } from "../../src/abis.js";
import { ChainError, RevertedError } from "../../src/errors/ChainError.js";
import type { TxFees } from "../../src/tx/fees.js";
import { TxSender, type TxSenderOptions } from "../../src/tx/TxSender.js";
import {
  deployTestOpg,
  type OpgFixture,
  startTestChain,
  type TestAccount,
  type TestChain,
} from "../helpers/testChain.js";

let chain: TestChain;
let fixture: OpgFixture;
const senders: TxSender[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  fixture = await deployTestOpg(chain);
});

afterEach(async () => {
  for (const s of senders.splice(0)) s.stop();
  chain.proxy.failing = undefined;
  await chain.proxy.up();
  await chain.setAutomine(true);
});

afterAll(async () => {
  await chain?.close();
});

type Harness = {
  sender: TxSender;
  account: TestAccount;
  until: Until;
  broadcasts: { hash: Hash; nonce: number; replacement: number; fees: TxFees }[];
  rpcErrors: string[];
};

async function makeSender(options: Partial<TxSenderOptions> = {}, account?: TestAccount): Promise<Harness> {
  const until = new Until();
  const acct = account ?? (await chain.fundedAccount());
  const h: Harness = {
    account: acct,
    until,
    broadcasts: [],
    rpcErrors: [],
    sender: undefined as unknown as TxSender,
  };
  h.sender = new TxSender(
    {
      chainId: chain.chainId,
      receiptPollIntervalMs: 10,
      rpcRetry: { attempts: 50, backoff: { initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: 0 } },
      ...options,
    },
    {
      client: chain.client,
      account: acct,
      metrics: {
        onBroadcast: (e) => {
          h.broadcasts.push(e);
          until.notify();
        },
        onRpcError: (code) => {
          h.rpcErrors.push(code);
          until.notify();
        },
      },
    },
  );
  h.sender.start();
  senders.push(h.sender);
  return h;
}

const recipient = "0x000000000000000000000000000000000000dEaD";

describe("TxSender", () => {
  test("default: sends sequential transactions with consecutive nonces", async () => {
    const { sender } = await makeSender();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sender.send({ to: recipient, value: 1n }));
    expect(results.map((r) => r.nonce)).toEqual([0, 1, 2]);
    for (const r of results) {
      expect(r.receipt.status).toBe("success");
      expect(r.replacements).toBe(0);
    }
  });

  test("default: deployContract sends a creation transaction and returns the checksummed address", async () => {
    const { sender } = await makeSender();
    // Init code: CODECOPY(0, 12, 1), RETURN(0, 1): deploys the 1-byte runtime 0x00 (STOP) at offset 12.
    const address = await sender.deployContract("0x6001600c60003960016000f300", "stop");
    expect(address).toBe(getAddress(address));
    expect(await chain.direct.getCode({ address })).toBe("0x00");
    // A reverting constructor surfaces as an error, not an address.
    await expect(sender.deployContract("0x60006000fd", "reverting")).rejects.toBeInstanceOf(ChainError);
  });

  test("behavior: concurrent sends get distinct, gap-free nonces", async () => {
    const { sender, account } = await makeSender();
    const results = await Promise.all(
      [1n, 2n, 3n, 4n, 5n].map((value) => sender.send({ to: recipient, value })),
    );
    expect(results.map((r) => r.nonce).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await chain.direct.getTransactionCount({ address: account.address })).toBe(5);
  });

  test("behavior: resyncs the nonce from the chain after another process used it", async () => {
    const h = await makeSender();
    await h.sender.send({ to: recipient, value: 1n }); // local next nonce: 1
    // Another process with the same key takes nonce 1.
    const other = new TxSender({ receiptPollIntervalMs: 10 }, { client: chain.direct, account: h.account });
    other.start();
    senders.push(other);
    expect((await other.send({ to: recipient, value: 1n })).nonce).toBe(1);
    const result = await h.sender.send({ to: recipient, value: 1n });
    expect(result.nonce).toBe(2);
    expect(h.broadcasts.map((b) => b.nonce)).toEqual([0, 2]);
  });

  test("behavior: survives an RPC outage before and while waiting for the receipt", async () => {
    const h = await makeSender();
    await chain.proxy.down();
    const sending = h.sender.send({ to: recipient, value: 1n });
    await h.until.until(() => h.rpcErrors.length >= 2, "failed RPC calls");
    expect(h.rpcErrors.every((c) => c === "RPC_UNAVAILABLE")).toBe(true);
    await chain.proxy.up();
    const first = await sending;
    expect(first.receipt.status).toBe("success");

    // Broadcast, then lose the RPC while the transaction is pending; it is mined during the outage.
    await chain.setAutomine(false);
    const errorsBefore = h.rpcErrors.length;
    const pending = h.sender.send({ to: recipient, value: 2n });
    await h.until.until(() => h.broadcasts.length >= 2, "second broadcast");
    await chain.proxy.down();
    await chain.mine(1);
    await h.until.until(() => h.rpcErrors.length >= errorsBefore + 2, "failed receipt polls");
    await chain.proxy.up();
    const second = await pending;
    expect(second.nonce).toBe(first.nonce + 1);
    expect(second.hash).toBe(h.broadcasts[1]?.hash);
  });

  test("behavior: replaces a stuck transaction with the same nonce and ≥ 10 % higher fees", async () => {
    const h = await makeSender({ stuckTimeoutMs: 100, feeBumpPercent: 12.5 });
    await chain.setAutomine(false);
    const sending = h.sender.send({ to: recipient, value: 1n });
    await h.until.until(() => h.broadcasts.some((b) => b.replacement >= 1), "a replacement");
    await chain.mine(1);
    const result = await sending;
    expect(result.replacements).toBeGreaterThanOrEqual(1);
    expect(result.hashes.length).toBe(result.replacements + 1);
    expect(result.hash).not.toBe(result.hashes[0]);
    const original = h.broadcasts[0]?.fees;
    if (original?.type !== "eip1559") throw new Error("expected EIP-1559 fees");
    const mined = await chain.direct.getTransaction({ hash: result.hash });
    expect(mined.nonce).toBe(result.nonce);
    expect(mined.maxFeePerGas! * 100n).toBeGreaterThanOrEqual(original.maxFeePerGas * 110n);
    expect(mined.maxPriorityFeePerGas! * 100n).toBeGreaterThanOrEqual(original.maxPriorityFeePerGas * 110n);
    // The original was replaced: gone from the node, never mined.
    await expect(chain.direct.getTransaction({ hash: result.hashes[0] as Hash })).rejects.toThrow(
      /could not be found/,
    );
  });

  test("behavior: never bumps above maxFeePerGas", async () => {
    const cap = parseGwei("5");
    const h = await makeSender({ stuckTimeoutMs: 30, maxFeePerGas: cap, maxReplacements: 20 });
    await chain.setAutomine(false);
    const sending = h.sender.send({ to: recipient, value: 1n });
    // Bumps until another 10 % would pass the cap, then only waits.
    const nearCap = () =>
      h.broadcasts.some((b) => b.fees.type === "eip1559" && b.fees.maxFeePerGas * 110n > cap * 100n);
    await h.until.until(nearCap, "a replacement near the cap");
    await chain.mine(1);
    const result = await sending;
    expect(result.replacements).toBeGreaterThanOrEqual(1);
    const mined = await chain.direct.getTransaction({ hash: result.hash });
    expect(mined.maxFeePerGas).toBeLessThanOrEqual(cap);
    expect(h.broadcasts.every((b) => b.fees.type === "eip1559" && b.fees.maxFeePerGas <= cap)).toBe(true);
  });

  test("error: reports a revert at estimation with the decoded custom error", async () => {
    const { sender } = await makeSender();
    const error = await sender
      .writeContract({
        address: fixture.deployment.operatorRegistry,
        abi: operatorRegistryAbi,
        functionName: "register",
        args: [1, sender.address, `0x${"00".repeat(65)}`],
        value: 1n,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevertedError);
    expect(error).toMatchObject({
      code: "REVERTED",
      errorName: "InsufficientStake",
      args: [1n, fixture.deployment.registryParams.minExecutorStake],
    });
  });

  test("error: reports a revert of a mined transaction (no estimation) and keeps nonces straight", async () => {
    const { sender } = await makeSender();
    const error = await sender
      .writeContract({
        address: fixture.deployment.operatorRegistry,
        abi: operatorRegistryAbi,
        functionName: "requestUnbond",
        gas: 100_000n,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REVERTED", errorName: "NotActive", args: [sender.address] });
    const next = await sender.send({ to: recipient, value: 1n });
    expect(next.receipt.status).toBe("success");
    expect(next.nonce).toBe((await chain.direct.getTransactionCount({ address: sender.address })) - 1);
  });

  test("error: a transaction mined as reverted is explained by replaying it at its block", async () => {
    const h = await makeSender();
    await chain.setAutomine(false);
    const sending = h.sender
      .writeContract({
        address: fixture.deployment.operatorRegistry,
        abi: operatorRegistryAbi,
        functionName: "withdrawStake",
        gas: 100_000n,
      })
      .catch((e: unknown) => e);
    await h.until.until(() => h.broadcasts.length >= 1, "broadcast");
    await chain.mine(1);
    const error = await sending;
    expect(error).toBeInstanceOf(RevertedError);
    expect(error).toMatchObject({ errorName: "NotUnbonding", args: [h.account.address] });
    expect((error as RevertedError).meta).toMatchObject({ hash: h.broadcasts[0]?.hash });
  });

  test("error: INSUFFICIENT_FUNDS is not retried", async () => {
    const poor = await chain.fundedAccount("0");
    const h = await makeSender({}, poor);
    const error = await h.sender
      .send({ to: recipient, value: parseEther("1"), gas: 21_000n })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    expect(h.broadcasts).toEqual([]);
  });

  test("error: TX_DROPPED when another transaction takes the nonce", async () => {
    const h = await makeSender({ stuckTimeoutMs: 50, maxReplacements: 0 });
    await chain.setAutomine(false);
    const sending = h.sender.send({ to: recipient, value: 1n }).catch((e: unknown) => e);
    await h.until.until(() => h.broadcasts.length >= 1, "broadcast");
    const fees = h.broadcasts[0]?.fees;
    if (fees?.type !== "eip1559") throw new Error("expected EIP-1559 fees");
    // Same key, same nonce, higher fees: replaces ours in the mempool.
    const wallet = createWalletClient({ account: h.account, transport: custom(chain.provider) });
    await wallet.sendTransaction({
      chain: null,
      to: recipient,
      value: 2n,
      nonce: 0,
      gas: 21_000n,
      maxFeePerGas: fees.maxFeePerGas * 3n,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas * 3n,
    });
    await chain.mine(1);
    expect(await sending).toMatchObject({ code: "TX_DROPPED", meta: { nonce: 0 } });
  });

  test("error: TX_TIMEOUT when nothing is mined in time", async () => {
    const { sender } = await makeSender({ receiptTimeoutMs: 200, maxReplacements: 0 });
    await chain.setAutomine(false);
    const error = await sender.send({ to: recipient, value: 1n }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TX_TIMEOUT" });
    await chain.mine(1);
  });

  test("error: ABORTED when the caller's signal aborts; the sender keeps serving other sends", async () => {
    const { sender, until, broadcasts } = await makeSender({ maxReplacements: 0 });
    const before = new AbortController();
    before.abort();
    await expect(sender.send({ to: recipient, value: 1n, signal: before.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
    await chain.setAutomine(false);
    const waiting = new AbortController();
    const sending = sender
      .send({ to: recipient, value: 1n, signal: waiting.signal })
      .catch((e: unknown) => e);
    await until.until(() => broadcasts.length === 1, "the broadcast");
    waiting.abort();
    expect(await sending).toMatchObject({ code: "ABORTED", meta: { nonce: broadcasts[0]!.nonce } });
    await chain.mine(1);
    await chain.setAutomine(true);
    const next = await sender.send({ to: recipient, value: 1n });
    expect(next.nonce).toBe(broadcasts[0]!.nonce + 1);
  });

  test("error: CHAIN_MISMATCH when the RPC serves another chain", async () => {
    const { sender } = await makeSender({ chainId: 1 });
    await expect(sender.send({ to: recipient, value: 1n })).rejects.toMatchObject({ code: "CHAIN_MISMATCH" });
  });

  test("error: NOT_STARTED before start and after stop", async () => {
    const { sender } = await makeSender();
    sender.stop();
    await expect(sender.send({ to: recipient, value: 1n })).rejects.toMatchObject({ code: "NOT_STARTED" });
  });

  test("args: a fee bump below 10 % is refused", () => {
    expect(
      () => new TxSender({ feeBumpPercent: 5 }, { client: chain.client, account: fixture.deployer }),
    ).toThrow(/feeBumpPercent/);
  });
});
