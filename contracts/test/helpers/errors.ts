import { type Abi, BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { expect } from "vitest";
import { getBuiltHre } from "../../scripts/hre.js";

let errorAbi: Promise<Abi> | undefined;

/** Every custom error declared by the opg contracts and test doubles (the hub bubbles up registry errors). */
function allErrors(): Promise<Abi> {
  errorAbi ??= (async () => {
    const hre = await getBuiltHre();
    const names = [
      "InferenceHub",
      "OperatorRegistry",
      "ModelRegistry",
      "EnclaveRegistry",
      "MockConsumer",
      "MockZkVerifier",
      "PoseidonGroth16Adapter",
    ];
    const entries = new Map<string, Abi[number]>();
    for (const name of names) {
      const artifact = await hre.artifacts.readArtifact(name);
      for (const item of artifact.abi as Abi) {
        if (item.type === "error")
          entries.set(`${item.name}(${item.inputs.map((i) => i.type).join(",")})`, item);
      }
    }
    return [...entries.values()];
  })();
  return errorAbi;
}

function findRevertData(error: unknown): Hex | undefined {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw !== undefined) return reverted.raw;
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string");
    const data = (withData as { data?: unknown } | null)?.data;
    if (typeof data === "string" && data.startsWith("0x")) return data as Hex;
  }
  const data = (error as { data?: unknown })?.data;
  if (typeof data === "string" && data.startsWith("0x")) return data as Hex;
  return undefined;
}

/** Awaits `promise`, expects it to revert with custom error `name` (and `args` when given); returns the args. */
export async function expectRevert(
  promise: Promise<unknown>,
  name: string,
  args?: readonly unknown[],
): Promise<readonly unknown[]> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, `expected revert with ${name}`).toBeDefined();
  const data = findRevertData(error);
  if (data === undefined || data === "0x") {
    throw new Error(`expected revert with ${name}, got: ${(error as Error).message}`);
  }
  const decoded = decodeErrorResult({ abi: await allErrors(), data });
  expect(decoded.errorName).toBe(name);
  if (args !== undefined) expect(decoded.args ?? []).toEqual(args);
  return decoded.args ?? [];
}
