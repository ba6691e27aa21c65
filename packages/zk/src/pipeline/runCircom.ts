import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { ZkError } from "../ZkError.js";
import { circomCli, circomlibDir, TEMPLATES_DIR } from "./toolPaths.js";

export type CircomResult = {
  /** Paths of the outputs: `<name>.r1cs`, `<name>_js/<name>.wasm`, `<name>.sym`. */
  r1cs: string;
  wasm: string;
  sym: string;
  /** circom's summary: constraint and wire counts. */
  nonLinearConstraints: number;
  linearConstraints: number;
  wires: number;
  log: string;
};

/**
 * Compile a circom file with circom 2 (WebAssembly build, `circom2` package) in a child process:
 * `--r1cs --wasm --sym --O2`, include paths circuits/templates and circomlib.
 * The WASI sandbox only sees paths below the working directory, so circom runs from `/` with
 * relative paths.
 */
export async function runCircom(
  circomFile: string,
  outDir: string,
  signal?: AbortSignal,
): Promise<CircomResult> {
  await mkdir(outDir, { recursive: true });
  const root = "/";
  const rel = (p: string) => relative(root, isAbsolute(p) ? p : resolve(p));
  const args = [
    circomCli(),
    rel(circomFile),
    "--r1cs",
    "--wasm",
    "--sym",
    "--O2",
    "-l",
    rel(TEMPLATES_DIR),
    "-l",
    rel(circomlibDir()),
    "-o",
    rel(outDir),
  ];
  const log = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], signal });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", (cause) =>
      reject(new ZkError("BUILD_FAILED", "circom could not be started.", { cause })),
    );
    child.on("close", (code) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours from circom's output
      const clean = out.replace(/\u001b\[[0-9;]*m/g, "");
      if (code === 0 && /Everything went okay/.test(clean)) resolvePromise(clean);
      else
        reject(new ZkError("BUILD_FAILED", `circom failed (exit ${code}).`, { details: clean.slice(-4000) }));
    });
  });
  const num = (label: string) =>
    Number(new RegExp(`(?:^|\\n)${label}:\\s*(\\d+)`).exec(log)?.[1] ?? Number.NaN);
  const base = circomFile.replace(/^.*\//, "").replace(/\.circom$/, "");
  return {
    r1cs: resolve(outDir, `${base}.r1cs`),
    wasm: resolve(outDir, `${base}_js`, `${base}.wasm`),
    sym: resolve(outDir, `${base}.sym`),
    nonLinearConstraints: num("non-linear constraints"),
    linearConstraints: num("linear constraints"),
    wires: num("wires"),
    log,
  };
}
