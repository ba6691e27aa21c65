/**
 * Gas benchmark (`pnpm --filter @opg/contracts bench:gas`): deploys the contracts on an in-process chain and
 * measures, from real receipts:
 *   - settleBatch gas per result for batches of 1, 16, 256 and 1024 results with a 3-of-4 verifier quorum,
 *     against a baseline that stores one storage slot per result;
 *   - verifyResult gas at tree depths 4, 8, 10 and 12 (a view: measured inside a harness contract, i.e. the
 *     cost a calling contract pays, without the 21000 intrinsic gas of a transaction);
 *   - deliver gas at the same depths (no callback; executor balance already non-zero, plus one first payment);
 *   - requestInference gas (64-byte inline input, no callback; and with a callback whose gas is escrowed);
 *   - deliver gas at depth 10 with a callback that spends 50,000 gas, delivered by the executor itself
 *     (executor, settling verifier and requester balances already non-zero): the hub's own gas is the total
 *     minus the callback's 50,000, and includes the verifier fee share and the callback gas reimbursement.
 * Settlement includes the settling verifier's record (its fee share is credited at delivery).
 * Prints a table and writes bench-results/gas.json at the repository root (a flat JSON object).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createWalletClient,
  custom,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseEventLogs,
  toHex,
} from "viem";
import { connect, deploySystem, MODEL_ID, PRICE, type System, tensorBytes } from "../test/helpers/fixture.js";
import { proofFor, type ResultFields, resultHash } from "../test/helpers/protocol.js";
import { REPO_ROOT } from "./hre.js";

const BATCH_SIZES = [1, 16, 256, 1024] as const;
const DEPTHS = [4, 8, 10, 12] as const;
const INPUT_BYTES = 64;
const OUTPUT_BYTES = 64;

const TARGETS = {
  settle_gas_per_result_256: 500,
  verify_result_gas_depth_10: 10_000,
  request_gas: 80_000,
  request_gas_with_callback_escrow: 90_000,
  // Includes the settling verifier's fee share (one more balance credit and the batch record read).
  deliver_gas_depth_10: 70_000,
  deliver_gas_depth_10_with_callback: 80_000,
} as const;
const CALLBACK_GAS = 50_000;

function fakeResults(n: number, salt: string, executor: Hex): ResultFields[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: keccak256(toHex(`${salt}-request-${i}`)),
    modelId: MODEL_ID,
    inputHash: keccak256(toHex(`${salt}-input-${i}`)),
    outputHash: keccak256(toHex(`${salt}-output-${i}`)),
    executor,
  }));
}

async function gasOf(s: System, hash: Hex): Promise<number> {
  const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return Number(receipt.gasUsed);
}

async function main() {
  const conn = await connect();
  const s = await deploySystem(conn, { verifiers: 4, f: 2, executors: 2 });
  const executor = s.executorSigners[0]!.address;
  const results: Record<string, number | string> = {};

  // --- settlement (3-of-4). The first batch ever also initialises lastBatchId: measured separately.
  results["settle_gas_first_batch_1"] = await gasOf(
    s,
    (await s.settle(fakeResults(1, "warmup", executor))).receipt.transactionHash,
  );
  const baseline = await s.viem.deployContract("SlotBaseline");
  for (const n of BATCH_SIZES) {
    const batch = fakeResults(n, `settle-${n}`, executor);
    const { receipt } = await s.settle(batch);
    const gas = Number(receipt.gasUsed);
    results[`settle_gas_${n}`] = gas;
    results[`settle_gas_per_result_${n}`] = Math.round(gas / n);
    // The baseline needs ~22k gas per result: above 512 results it is split into several transactions
    // (post-Osaka transactions are capped at 2^24 gas); the per-result figure is what matters.
    let baselineGas = 0;
    const hashes = batch.map(resultHash);
    for (let i = 0; i < hashes.length; i += 512) {
      baselineGas += await gasOf(s, await baseline.write.settle([hashes.slice(i, i + 512)]));
    }
    results[`baseline_slot_gas_${n}`] = baselineGas;
    results[`baseline_slot_gas_per_result_${n}`] = Math.round(baselineGas / n);
    results[`baseline_to_settle_ratio_${n}`] = Number((baselineGas / gas).toFixed(2));
  }
  results["baseline_slot_gas_per_result"] = results["baseline_slot_gas_per_result_256"]!;

  // --- requestInference: the very first request initialises the nonce slot; then steady state.
  const input = tensorBytes("bench-input", INPUT_BYTES);
  results["request_gas_first"] = Number((await s.request({ input })).receipt.gasUsed);
  results["request_gas"] = Number(
    (await s.request({ input: tensorBytes("bench-input-2", INPUT_BYTES) })).receipt.gasUsed,
  );
  results["request_input_bytes"] = INPUT_BYTES;
  const burner = await s.viem.deployContract("GasBurnerConsumer", [BigInt(CALLBACK_GAS)]);
  const CALLBACK_LIMIT = 60_000;
  const CALLBACK_PRICE = 10_000_000_000n; // 10 gwei bound
  const withCallback = (label: string) =>
    s.request({
      input: tensorBytes(label, INPUT_BYTES),
      callback: burner.address,
      callbackGasLimit: CALLBACK_LIMIT,
      callbackGasPrice: CALLBACK_PRICE,
      value: PRICE + BigInt(CALLBACK_LIMIT) * CALLBACK_PRICE,
    });
  results["request_gas_with_callback_escrow"] = Number((await withCallback("bench-escrow")).receipt.gasUsed);

  // --- verifyResult and deliver at each depth: one request whose result sits in a full tree of 2^depth leaves.
  const probe = await s.viem.deployContract("GasProbe");
  // Make the executor's hub balance non-zero first (steady state for an executor that is paid regularly).
  const payExecutor = async (who: Hex) => {
    const r = await s.request();
    const output = tensorBytes(`warm-${r.requestId}`, OUTPUT_BYTES);
    const res = s.resultFor(r.requestId, r.request, output, who);
    const { tree, header } = await s.settle([res]);
    return gasOf(
      s,
      await s.hub.write.deliver([r.requestId, r.request, output, who, header.batchId, proofFor(tree, res)]),
    );
  };
  await payExecutor(executor);
  for (const depth of DEPTHS) {
    const r = await s.request({ input: tensorBytes(`bench-in-${depth}`, INPUT_BYTES) });
    const output = tensorBytes(`bench-out-${depth}`, OUTPUT_BYTES);
    const result = s.resultFor(r.requestId, r.request, output, executor);
    const leaves = [result, ...fakeResults(2 ** depth - 1, `depth-${depth}`, executor)];
    const { tree, header } = await s.settle(leaves);
    const proof = proofFor(tree, result);
    if (proof.length !== depth) throw new Error(`depth ${depth}: proof length ${proof.length}`);
    const [verifyGas, ok] = await probe.read.measureVerifyResult([
      s.hub.address,
      header.batchId,
      result.requestId,
      result.modelId,
      result.inputHash,
      result.outputHash,
      result.executor,
      proof,
    ]);
    if (!ok) throw new Error(`depth ${depth}: verifyResult returned false`);
    results[`verify_result_gas_depth_${depth}`] = Number(verifyGas);
    const estimate = await s.publicClient.estimateGas({
      to: s.hub.address,
      data: encodeFunctionData({
        abi: s.hub.abi,
        functionName: "verifyResult",
        args: [
          header.batchId,
          result.requestId,
          result.modelId,
          result.inputHash,
          result.outputHash,
          executor,
          proof,
        ],
      }),
    });
    results[`verify_result_estimate_gas_depth_${depth}`] = Number(estimate);
    results[`deliver_gas_depth_${depth}`] = await gasOf(
      s,
      await s.hub.write.deliver([r.requestId, r.request, output, executor, header.batchId, proof]),
    );
  }
  // A first payment to an executor (its balance slot goes from zero to non-zero), at depth 10.
  {
    const fresh = s.executorSigners[1]!.address;
    const r = await s.request();
    const output = tensorBytes("first-payment", OUTPUT_BYTES);
    const result = s.resultFor(r.requestId, r.request, output, fresh);
    const { tree, header } = await s.settle([result, ...fakeResults(1023, "first-payment", fresh)]);
    results["deliver_gas_first_payment_depth_10"] = await gasOf(
      s,
      await s.hub.write.deliver([
        r.requestId,
        r.request,
        output,
        fresh,
        header.batchId,
        proofFor(tree, result),
      ]),
    );
  }
  // Self-delivery with a 50,000-gas callback at depth 10 (second delivery: every balance slot is non-zero).
  {
    const key = s.executorSigners[0]!;
    await conn.networkHelpers.setBalance(key.address, 10n ** 20n);
    const wallet = createWalletClient({ account: key, transport: custom(conn.provider) });
    let gas = 0;
    let reimbursedGas = 0n;
    for (const round of [0, 1]) {
      const r = await withCallback(`bench-callback-${round}`);
      const output = tensorBytes(`bench-callback-out-${round}`, OUTPUT_BYTES);
      const result = s.resultFor(r.requestId, r.request, output, executor);
      const { tree, header } = await s.settle([result, ...fakeResults(1023, `callback-${round}`, executor)]);
      const hash = await wallet.writeContract({
        address: s.hub.address,
        abi: s.hub.abi,
        functionName: "deliver",
        args: [r.requestId, r.request, output, executor, header.batchId, proofFor(tree, result)],
        chain: null,
      });
      gas = await gasOf(s, hash);
      const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
      const [event] = parseEventLogs({
        abi: s.hub.abi,
        logs: receipt.logs,
        eventName: "CallbackGasReimbursed",
      });
      reimbursedGas = event?.args.gasUsed ?? 0n;
    }
    results["deliver_gas_depth_10_with_callback_total"] = gas;
    results["deliver_gas_depth_10_with_callback"] = gas - CALLBACK_GAS;
    results["deliver_callback_gas_reimbursed"] = Number(reimbursedGas);
    results["deliver_callback_gas"] = CALLBACK_GAS;
  }
  results["deliver_output_bytes"] = OUTPUT_BYTES;
  results["quorum"] = "3-of-4";
  results["chain_id"] = s.chainId;
  results["hardfork"] = String((conn.networkConfig as { hardfork?: string }).hardfork ?? "default");
  results["generated_at"] = new Date().toISOString();

  // --- report
  const row = (label: string, value: number | string, target?: number) => {
    const mark =
      target === undefined
        ? ""
        : Number(value) <= target
          ? `  ok (<= ${target})`
          : `  OVER TARGET (${target})`;
    console.log(`${label.padEnd(44)} ${String(value).padStart(12)}${mark}`);
  };
  console.log("\nopg gas benchmark (in-process Hardhat chain, real receipts)\n");
  console.log("settleBatch, 3-of-4 quorum          total gas   gas/result   baseline/result   ratio");
  for (const n of BATCH_SIZES) {
    console.log(
      `  ${String(n).padStart(4)} results            ${String(results[`settle_gas_${n}`]).padStart(12)} ${String(
        results[`settle_gas_per_result_${n}`],
      ).padStart(12)} ${String(results[`baseline_slot_gas_per_result_${n}`]).padStart(17)} ${String(
        results[`baseline_to_settle_ratio_${n}`],
      ).padStart(7)}x`,
    );
  }
  console.log("");
  row("settle gas per result @256", results["settle_gas_per_result_256"]!, TARGETS.settle_gas_per_result_256);
  row("settle gas, first batch ever (1 result)", results["settle_gas_first_batch_1"]!);
  for (const d of DEPTHS) {
    row(
      `verifyResult gas @depth ${d}`,
      results[`verify_result_gas_depth_${d}`]!,
      d === 10 ? TARGETS.verify_result_gas_depth_10 : undefined,
    );
  }
  for (const d of DEPTHS) {
    row(`verifyResult eth_estimateGas (tx) @depth ${d}`, results[`verify_result_estimate_gas_depth_${d}`]!);
  }
  for (const d of DEPTHS) {
    row(
      `deliver gas @depth ${d} (no callback)`,
      results[`deliver_gas_depth_${d}`]!,
      d === 10 ? TARGETS.deliver_gas_depth_10 : undefined,
    );
  }
  row("deliver gas @depth 10, executor's first payment", results["deliver_gas_first_payment_depth_10"]!);
  row(
    "deliver gas @depth 10, 50k callback, hub's own",
    results["deliver_gas_depth_10_with_callback"]!,
    TARGETS.deliver_gas_depth_10_with_callback,
  );
  row(`requestInference gas (${INPUT_BYTES}-byte input)`, results["request_gas"]!, TARGETS.request_gas);
  row(
    "requestInference gas, callback gas escrowed",
    results["request_gas_with_callback_escrow"]!,
    TARGETS.request_gas_with_callback_escrow,
  );
  row("requestInference gas, first request ever", results["request_gas_first"]!);

  const dir = path.join(REPO_ROOT, "bench-results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, "gas.json");
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

try {
  await main();
} catch (error) {
  // viem errors embed whole calldata: print the short message only.
  const e = error as { shortMessage?: string; message: string };
  console.error(`bench:gas failed: ${e.shortMessage ?? e.message.slice(0, 2000)}`);
  process.exit(1);
}
