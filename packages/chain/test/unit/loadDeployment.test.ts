import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deploymentToJson, type OpgDeployment } from "@opg/contracts";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { deploymentPath, loadDeployment, parseDeployment } from "../../src/deployments/loadDeployment.js";
import { ChainError } from "../../src/errors/ChainError.js";

const deployment: OpgDeployment = {
  chainId: 31337,
  inferenceHub: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  operatorRegistry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  modelRegistry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  enclaveRegistry: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  startBlock: 12n,
  deployer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  admin: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  registryParams: {
    minExecutorStake: 10n ** 17n,
    minVerifierStake: 10n ** 18n,
    challengeWindow: 86_400n,
    unbondingDelay: 604_800n,
    treasury: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    challengerShareBps: 5_000,
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "opg-deployments-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(json: unknown, chainId = 31337): Promise<string> {
  const file = deploymentPath(dir, chainId);
  await writeFile(file, typeof json === "string" ? json : JSON.stringify(json));
  return file;
}

function expectInvalid(fn: () => unknown, key: string, source = "deployment"): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe("DEPLOYMENTS_INVALID");
    expect((error as ChainError).message).toContain(`"${key}"`);
    expect((error as ChainError).message).toContain(source);
    expect((error as ChainError).meta).toMatchObject({ key });
    return;
  }
  throw new Error(`expected DEPLOYMENTS_INVALID for ${key}`);
}

describe("loadDeployment", () => {
  test("default: reads what @opg/contracts writes (deploymentToJson)", async () => {
    await write(deploymentToJson(deployment));
    expect(await loadDeployment({ dir, chainId: 31337 })).toEqual(deployment);
    expect(await loadDeployment({ file: deploymentPath(dir, 31337) })).toEqual(deployment);
  });

  test("behavior: lower-case addresses are accepted and checksummed", async () => {
    const json = deploymentToJson(deployment);
    json.inferenceHub = json.inferenceHub.toLowerCase() as typeof json.inferenceHub;
    await write(json);
    expect((await loadDeployment({ dir, chainId: 31337 })).inferenceHub).toBe(deployment.inferenceHub);
  });

  test("error: a missing file is DEPLOYMENTS_NOT_FOUND naming the file", async () => {
    const error = await loadDeployment({ dir, chainId: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DEPLOYMENTS_NOT_FOUND" });
    expect((error as Error).message).toContain(join(dir, "5.json"));
  });

  test("error: invalid JSON names the file", async () => {
    const file = await write("{ nope");
    const error = await loadDeployment({ file }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DEPLOYMENTS_INVALID" });
    expect((error as Error).message).toContain(file);
  });

  test("error: a chain id other than the expected one", async () => {
    const file = await write({ ...deploymentToJson(deployment), chainId: 1 }, 31337);
    const error = await loadDeployment({ dir, chainId: 31337 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DEPLOYMENTS_INVALID", meta: { key: "chainId", file } });
  });
});

describe("parseDeployment", () => {
  const base = () => deploymentToJson(deployment) as unknown as Record<string, unknown>;

  test("error: not an object", () => {
    expect(() => parseDeployment([], "x.json")).toThrow(/x\.json: a deployment is a JSON object/);
    expect(() => parseDeployment(null)).toThrow(ChainError);
  });

  test.each([
    ["inferenceHub", "0x1234"],
    ["operatorRegistry", undefined],
    ["modelRegistry", 42],
    ["enclaveRegistry", undefined],
    ["deployer", "not an address"],
  ])("error: a bad address (%s) names the key", (key, value) => {
    expectInvalid(() => parseDeployment({ ...base(), [key]: value }, "d.json"), key, "d.json");
  });

  test("error: a wrong checksum is refused", () => {
    // Mixed case with one letter flipped: not a valid EIP-55 checksum.
    const bad = deployment.inferenceHub.replace("F", "f");
    expectInvalid(() => parseDeployment({ ...base(), inferenceHub: bad }), "inferenceHub");
  });

  test("error: a zero contract address is refused", () => {
    expectInvalid(
      () => parseDeployment({ ...base(), modelRegistry: "0x0000000000000000000000000000000000000000" }),
      "modelRegistry",
    );
  });

  test.each([
    ["startBlock", 12],
    ["startBlock", "-1"],
    ["startBlock", "0x10"],
    ["chainId", "31337"],
    ["chainId", 0],
  ])("error: a bad number (%s = %j) names the key", (key, value) => {
    expectInvalid(() => parseDeployment({ ...base(), [key]: value }), key);
  });

  test("error: nested registry parameters name the full key", () => {
    const json = base();
    expectInvalid(
      () =>
        parseDeployment({
          ...json,
          registryParams: { ...(json["registryParams"] as object), minVerifierStake: 1 },
        }),
      "registryParams.minVerifierStake",
    );
    expectInvalid(() => parseDeployment({ ...json, registryParams: "x" }), "registryParams");
    expectInvalid(
      () =>
        parseDeployment({
          ...json,
          registryParams: { ...(json["registryParams"] as object), challengerShareBps: 10_001 },
        }),
      "registryParams.challengerShareBps",
    );
  });
});
