import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { ZkArtifacts } from "../src/index.js";
import {
  closeCeremony,
  compileModel,
  contribute,
  DEV_PTAU_PATH,
  runCircom,
  startCeremony,
  verifyCeremony,
} from "../src/toolchain.js";

const round = (v: number, d = 3) => Number(v.toFixed(d));

/**
 * The phase-2 ceremony for a model: `zk_ceremony_s_3` (start, 3 signed contributions each
 * checked against the r1cs and phase 1, the beacon) beside the single-party setup it replaces
 * (`zk_solo_setup_s`: new zkey + one contribution, same run), and `zk_rebuild_check_s`: what a
 * verifier runs before trusting a listing's key (compile the ONNX file, circom, then verify the
 * whole transcript against the rebuilt r1cs and the pinned phase 1).
 */
export async function benchCeremony(
  artifacts: ZkArtifacts,
  onnxPath: string,
  results: Record<string, number | string | boolean>,
  log: (m: string) => void,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "opg-bench-ceremony-"));
  try {
    const r1csPath = join(artifacts.dir, "circuit.r1cs");
    let t0 = performance.now();
    const zkey0 = { type: "mem" as const };
    await snarkjs.zKey.newZKey(r1csPath, DEV_PTAU_PATH, zkey0);
    await snarkjs.zKey.contribute(zkey0, join(dir, "solo.zkey"), "solo", "bench");
    results["zk_solo_setup_s"] = round((performance.now() - t0) / 1000, 2);

    const ceremonyDir = join(dir, "ceremony");
    t0 = performance.now();
    await startCeremony({
      dir: ceremonyDir,
      listingId: keccak256(toHex("bench-listing")),
      modelId: artifacts.manifest.modelId,
      artifactKey: artifacts.manifest.artifactKey,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
    });
    for (let i = 0; i < 3; i++) {
      const key = keccak256(toHex(`bench-verifier-${i}`));
      await contribute({
        dir: ceremonyDir,
        r1csPath,
        ptauPath: DEV_PTAU_PATH,
        signer: { address: privateKeyToAccount(key).address, privateKey: key },
        blockNumber: BigInt(i + 1),
      });
    }
    await closeCeremony({
      dir: ceremonyDir,
      r1csPath,
      ptauPath: DEV_PTAU_PATH,
      beacon: { blockNumber: 10n, blockHash: keccak256(toHex("block 10")) },
    });
    results["zk_ceremony_s_3"] = round((performance.now() - t0) / 1000, 2);

    t0 = performance.now();
    const compiled = await compileModel(new Uint8Array(await readFile(onnxPath)));
    const circomFile = join(dir, "rebuild", "circuit.circom");
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, "rebuild"), { recursive: true }));
    await writeFile(circomFile, compiled.circom);
    const rebuilt = await runCircom(circomFile, join(dir, "rebuild", "build"));
    const check = await verifyCeremony({ dir: ceremonyDir, r1csPath: rebuilt.r1cs, ptauPath: DEV_PTAU_PATH });
    results["zk_rebuild_check_s"] = round((performance.now() - t0) / 1000, 2);
    if (!check.valid) throw new Error(`bench ceremony does not verify: ${check.problems.join("; ")}`);
    log(
      `ceremony (3 contributors + beacon): ${results["zk_ceremony_s_3"]} s (single-party setup, same run: ${results["zk_solo_setup_s"]} s); rebuild + check: ${results["zk_rebuild_check_s"]} s`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
