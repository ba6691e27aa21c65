import { defineConfig } from "vitest/config";

// Two projects: `unit` (fast, in-process, beside each package) and `e2e` (real chain, real nodes).
// Workspace packages resolve to their TypeScript sources (the "@opg/source" export condition),
// so tests never depend on a stale dist/.
const resolve = { conditions: ["@opg/source"] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: ["@opg/source"], externalConditions: ["@opg/source"] } },
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "packages/*/test/**/*.test.ts",
            "contracts/test/**/*.test.ts",
            "circuits/test/**/*.test.ts",
          ],
          exclude: ["**/*.e2e.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["**/*.e2e.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
