#!/bin/sh
# The `build` stage every opg Dockerfile shares (docker/*.Dockerfile), run in /app once the
# sources are copied: installs the workspace from the store that `pnpm fetch` filled (offline),
# compiles it (tsc -b), then lays out one production tree per image under /out/<image>: the
# sources and build outputs without node_modules, and just the dependencies that image runs,
# installed from the same store. Each image copies its tree in one layer and nothing else, so the
# workspace is installed and compiled once for all images (a layer cache hit for the 2nd to 5th).
#
#   /out/exec      opg-exec and its production dependencies (onnxruntime-node: this platform's binaries)
#   /out/verify    opg-verify and its production dependencies
# (The devnet's chain and deployer run from docker/devnet-image's image, made from the host's workspace.)
set -eu
STORE="${PNPM_STORE_DIR:-/pnpm/store}"

pnpm install --frozen-lockfile --offline --store-dir "$STORE" --reporter=append-only
pnpm build

tree() {
  name="$1"
  shift
  mkdir -p "/out/$name"
  tar -C /app --exclude=node_modules --exclude='*.tsbuildinfo' --exclude=./docker/build -cf - . | tar -C "/out/$name" -xf -
  (cd "/out/$name" && pnpm install --frozen-lockfile --offline --store-dir "$STORE" --reporter=silent "$@")
}

# onnxruntime-node ships its binaries for every platform: keep this one's.
trim_ort() {
  ort="$(dirname "$(cd "$1" && node -p 'require.resolve("onnxruntime-node/package.json", { paths: ["packages/inference"] })')")/bin/napi-v6"
  platform="$ort/$(node -p process.platform)/$(node -p process.arch)"
  test -f "$platform/onnxruntime_binding.node"
  find "$ort" -mindepth 2 -maxdepth 2 -type d ! -path "$platform" -exec rm -rf {} +
  find "$ort" -mindepth 1 -maxdepth 1 -type d ! -path "$ort/$(node -p process.platform)" -exec rm -rf {} +
}

tree exec --prod --filter-prod "@opg/exec-node..."
trim_ort /out/exec
tree verify --prod --filter-prod "@opg/verify-node..."
du -sm /out/exec /out/verify
# The full install has served its purpose: out of this layer (smaller to commit, nothing copies it).
rm -rf /app/node_modules /app/packages/*/node_modules /app/contracts/node_modules /app/circuits/node_modules
