# syntax=docker/dockerfile:1
# opg-exec on NVIDIA GPUs: the execution daemon on an NVIDIA CUDA 12 + cuDNN 9 runtime image, with
# onnxruntime-node's CUDA execution provider. Linux x86-64 only (the provider is published for
# it alone). Build from the repository root:
#   docker build -f docker/exec-cuda.Dockerfile -t opg-exec-cuda .
# Run with a GPU: `docker run --gpus all -v DATA:/data opg-exec-cuda --data-dir /data start`; the
# devnet uses it through docker/compose.gpu.yml. Without a usable GPU the daemon falls back to
# the CPU provider (models.executionProviders: cuda, then cpu).

# ---- build: the workspace installed from the lockfile and compiled (tsc -b) ---------------------
# The same in every opg Dockerfile, so BuildKit builds it once for all the images.
FROM node:24-bookworm-slim AS build
ENV CI=true
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm at the version package.json pins (packageManager).
RUN npm install --global --no-audit --no-fund "$(node -p 'require("./package.json").packageManager')"
# Dependencies from the lockfile alone, so this layer survives source changes. Build scripts of
# dependencies stay disabled (pnpm-workspace.yaml), as on a developer's machine.
RUN --mount=type=cache,id=opg-pnpm-store,target=/pnpm/store pnpm fetch --store-dir /pnpm/store
COPY tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY contracts ./contracts
COPY circuits ./circuits
RUN --mount=type=cache,id=opg-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prefer-offline --store-dir /pnpm/store
RUN pnpm build

# ---- prod: opg-exec and its dependencies, without devDependencies --------------------------------
FROM build AS prod
RUN --mount=type=cache,id=opg-pnpm-store,target=/pnpm/store \
    rm -rf node_modules packages/*/node_modules contracts/node_modules circuits/node_modules \
 && pnpm install --frozen-lockfile --prefer-offline --prod --filter-prod "@opg/exec-node..." --store-dir /pnpm/store
# onnxruntime-node ships its binaries for every platform: keep this one's.
RUN ort="$(dirname "$(node -p 'require.resolve("onnxruntime-node/package.json", { paths: ["packages/inference"] })')")/bin/napi-v6" \
 && find "$ort" -mindepth 2 -maxdepth 2 -type d ! -path "$ort/linux/$(node -p process.arch)" -exec rm -rf {} + \
 && test -f "$ort/linux/$(node -p process.arch)/onnxruntime_binding.node"

# ---- cuda: onnxruntime-node's CUDA execution provider, installed at build time ------------------
# The npm package ships the CPU provider only. Its postinstall (script/install, which pnpm never
# runs: pnpm-workspace.yaml allows no build scripts) downloads the CUDA 12 provider libraries
# (libonnxruntime_providers_{cuda,shared,tensorrt}.so) from the Microsoft.ML.OnnxRuntime.Gpu.Linux
# NuGet package of the same version into bin/napi-v6/linux/x64. It is run here, where the network
# is available, never at run time. ONNXRUNTIME_NODE_INSTALL_CUDA=v12 is the variable the script
# reads to pick the CUDA 12 manifest (script/install-utils.js, parseInstallCudaFlag).
FROM prod AS cuda
RUN cd "$(dirname "$(node -p 'require.resolve("onnxruntime-node/package.json", { paths: ["packages/inference"] })')")" \
 && ONNXRUNTIME_NODE_INSTALL_CUDA=v12 node script/install \
 && test -f bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && test -f bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so

# ---- runtime: CUDA 12 + cuDNN 9 (what onnxruntime 1.2x's CUDA provider links against) -----------
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 AS runtime
# Node 24 from the official image (its binary needs glibc >= 2.28; Ubuntu 22.04 has 2.35).
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
COPY --from=cuda /app /app
# The same unprivileged user as the node images (`node`, uid 1000), owning the data dir.
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin node \
 && mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "/app/packages/exec-node/dist/cli.js"]
CMD ["--data-dir", "/data", "start"]
