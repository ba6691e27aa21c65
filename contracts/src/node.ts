/** Node-only helpers (file system): `@opg/contracts/node`. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { deploymentFromJson, deploymentToJson, type OpgDeployment } from "./deployment.js";

/** Path of the deployment file of a chain: `<dir>/<chainId>.json`. */
export function deploymentFilePath(dir: string, chainId: number): string {
  return path.join(dir, `${chainId}.json`);
}

/** Writes `<dir>/<chainId>.json` and returns its path. */
export async function writeDeploymentFile(dir: string, deployment: OpgDeployment): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = deploymentFilePath(dir, deployment.chainId);
  await writeFile(file, `${JSON.stringify(deploymentToJson(deployment), null, 2)}\n`);
  return file;
}

/** Reads and validates `<dir>/<chainId>.json`. */
export async function readDeploymentFile(dir: string, chainId: number): Promise<OpgDeployment> {
  return deploymentFromJson(JSON.parse(await readFile(deploymentFilePath(dir, chainId), "utf8")));
}
