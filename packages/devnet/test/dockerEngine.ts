import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { waitFor } from "@opg/testkit";
import { composeCommand } from "../src/ComposeDevnet.js";

/** A Docker engine and Compose to run the compose devnet with, and how to give them back. */
export type DockerEngine = {
  /** What was done to have it (`already running`, or what was installed and started). */
  how: string;
  /** Stops the dockerd this helper started (nothing when one was already running). */
  stop(): Promise<void>;
};

const engineAnswers = () => spawnSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 }).status === 0;
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const isRoot = () => process.getuid?.() === 0;
const storageDriver = () =>
  spawnSync("docker", ["info", "--format", "{{.Driver}}"], { encoding: "utf8" }).stdout.trim();

/**
 * Whether this machine can have a Docker engine, decided without changing anything: one answers
 * already, or we are root with apt-get (Debian's docker.io and docker-compose can be installed).
 * The reason when it cannot.
 */
export function dockerAvailability(): { ok: true } | { ok: false; reason: string } {
  if (has("docker") && engineAnswers()) {
    return composeCommand() || (isRoot() && has("apt-get"))
      ? { ok: true }
      : {
          ok: false,
          reason: "a Docker engine runs but there is no Docker Compose (and no root + apt to install it)",
        };
  }
  if (isRoot() && has("apt-get")) return { ok: true };
  return {
    ok: false,
    reason: "no Docker engine answers, and without root + apt-get none can be installed here",
  };
}

function aptInstall(packages: readonly string[], logFile: string): void {
  const out = openSync(logFile, "a");
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () =>
      spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
        stdio: ["ignore", out, out],
        env,
      }).status === 0;
    if (install()) return;
    spawnSync("apt-get", ["update"], { stdio: ["ignore", out, out], env });
    if (!install()) throw new Error(`apt-get install ${packages.join(" ")} failed (see ${logFile})`);
  } finally {
    closeSync(out);
  }
}

/**
 * A Docker engine with Compose. When none answers and we are root with apt-get: installs Debian's
 * `docker.io`, `docker-compose` and `mmdebstrap` (for docker/base-image), and starts `dockerd`,
 * which `stop()` stops again. dockerd picks its storage driver: overlay2 where the kernel allows
 * overlay mounts, vfs otherwise (vfs copies the whole file system per layer: the image build then
 * takes several times longer, docker/README.md). OPG_DOCKERD_STORAGE_DRIVER forces one. Output of
 * apt-get and dockerd goes to `logFile`.
 */
export async function ensureDockerEngine(logFile: string): Promise<DockerEngine> {
  const missing = [
    ...(has("dockerd") || engineAnswers() ? [] : ["docker.io"]),
    ...(composeCommand() ? [] : ["docker-compose"]),
    // docker/base-image, where the base image cannot be pulled.
    ...(has("mmdebstrap") || has("debootstrap") ? [] : ["mmdebstrap"]),
  ];
  if (missing.length > 0) {
    if (!isRoot() || !has("apt-get"))
      throw new Error(`missing ${missing.join(", ")} and cannot install them`);
    aptInstall(missing, logFile);
  }
  const installed = missing.length > 0 ? `installed ${missing.join(", ")}; ` : "";
  if (engineAnswers()) return { how: `${installed}engine already running`, stop: async () => {} };

  const out = openSync(logFile, "a");
  let dockerd: ChildProcess;
  try {
    const driver = process.env["OPG_DOCKERD_STORAGE_DRIVER"];
    dockerd = spawn("dockerd", driver ? [`--storage-driver=${driver}`] : [], {
      stdio: ["ignore", out, out],
      detached: true,
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<void>((resolve) => dockerd.once("exit", () => resolve()));
  await waitFor("dockerd to answer", () => dockerd.exitCode === null && engineAnswers(), {
    timeoutMs: 120_000,
    intervalMs: 500,
  }).catch((err: unknown) => {
    dockerd.kill("SIGTERM");
    throw err;
  });
  return {
    how: `${installed}started dockerd (pid ${dockerd.pid}, storage driver ${storageDriver()})`,
    stop: async () => {
      if (dockerd.exitCode !== null) return;
      dockerd.kill("SIGTERM");
      await exited;
    },
  };
}
