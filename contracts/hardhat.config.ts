import { createRequire } from "node:module";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** solc version; must equal the version of the `solc` npm package (its soljson.js is the compiler). */
export const SOLC_VERSION = "0.8.30";
const solcPackageVersion = (require("solc/package.json") as { version: string }).version;
if (solcPackageVersion !== SOLC_VERSION) {
  throw new Error(
    `hardhat.config.ts: solc npm package is ${solcPackageVersion}, config expects ${SOLC_VERSION}`,
  );
}

export default defineConfig({
  plugins: [hardhatViem, hardhatNetworkHelpers],
  // examples/: the example consumer dApp (contracts/examples/README.md), compiled and exported with the rest.
  paths: { sources: ["contracts", "examples"] },
  solidity: {
    version: SOLC_VERSION,
    // Offline build: use the WASM compiler shipped in the `solc` npm package instead of downloading one.
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "prague",
    },
  },
  test: {
    solidity: {
      // Solidity tests (test/solidity/*.t.sol) use Foundry cheatcodes through a local Vm interface.
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 24, failOnRevert: false },
    },
  },
});
