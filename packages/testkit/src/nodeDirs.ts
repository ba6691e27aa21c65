import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deploymentToJson, type OpgDeployment } from "@opg/contracts";
import { createKeystore } from "@opg/daemon";
import type { Hex } from "viem";

/** Password of every test keystore (they hold dev-chain keys only). */
export const TEST_PASSWORD = "opg-test-password";

/**
 * A daemon data dir as `init` would leave it, for `key`: an encrypted keystore (light scrypt,
 * tests only), its password file, and the deployment file under `deployments/`.
 */
export async function prepareNodeDir(dir: string, key: Hex, deployment: OpgDeployment): Promise<void> {
  mkdirSync(join(dir, "deployments"), { recursive: true });
  writeFileSync(join(dir, "password"), `${TEST_PASSWORD}\n`, { mode: 0o600 });
  await createKeystore({
    path: join(dir, "keystore.json"),
    password: TEST_PASSWORD,
    privateKey: key,
    kdf: "scrypt",
    scrypt: { n: 1024, r: 8, p: 1 },
    overwrite: true,
  });
  writeFileSync(
    join(dir, "deployments", `${deployment.chainId}.json`),
    `${JSON.stringify(deploymentToJson(deployment), null, 2)}\n`,
  );
}
