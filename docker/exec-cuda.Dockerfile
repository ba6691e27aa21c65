# opg-exec on NVIDIA GPUs: the execution daemon on an NVIDIA CUDA 12 + cuDNN 9 runtime image, with
# onnxruntime-node's CUDA execution provider. Linux x86-64 only (the provider is published for
# it alone). Build from the repository root:
#   docker build -f docker/exec-cuda.Dockerfile -t opg-exec-cuda .
# Run with a GPU: `docker run --gpus all -v DATA:/data opg-exec-cuda --data-dir /data start`; the
# devnet uses it through docker/compose.gpu.yml. Without a usable GPU the daemon falls back to
# the CPU provider (models.executionProviders: cuda, then cpu).

# ---- build: the workspace installed from the lockfile and compiled once, one production tree per image
# The same text in every opg Dockerfile, so the builder makes it once for all the images (layer cache).
# Nothing is pulled but the base image (docker/base-image makes it where no registry is reachable);
# npm and pnpm reach the npm registry from the build container (proxies: the base image's CA bundle).
FROM node:24-bookworm-slim AS build
ENV CI=true
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm at the version package.json pins (packageManager), and every package of the lockfile in the
# store: this layer survives source changes. Dependencies' build scripts stay disabled
# (pnpm-workspace.yaml), as on a developer's machine.
RUN npm install --global --no-audit --no-fund "$(node -p 'require("./package.json").packageManager')" \
 && pnpm fetch --store-dir /pnpm/store --reporter=append-only
COPY . .
RUN sh docker/build/workspace.sh

# ---- cuda: onnxruntime-node's CUDA execution provider, installed at build time ------------------
# The npm package ships the CPU provider only. Its postinstall (script/install, which pnpm never
# runs: pnpm-workspace.yaml allows no build scripts) downloads the CUDA 12 provider libraries
# (libonnxruntime_providers_{cuda,shared,tensorrt}.so) from the Microsoft.ML.OnnxRuntime.Gpu.Linux
# NuGet package of the same version into bin/napi-v6/linux/x64. It is run here, where the network
# is available, never at run time. ONNXRUNTIME_NODE_INSTALL_CUDA=v12 is the variable the script
# reads to pick the CUDA 12 manifest (script/install-utils.js, parseInstallCudaFlag).
FROM build AS cuda
RUN cd "$(dirname "$(cd /out/exec && node -p 'require.resolve("onnxruntime-node/package.json", { paths: ["packages/inference"] })')")" \
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
COPY --from=cuda /out/exec /app
WORKDIR /app
# The same unprivileged user as the node images (`node`, uid 1000), owning the data dir. The
# command must run (--help) to build.
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin node \
 && mkdir -p /data && chown node:node /data \
 && node /app/packages/exec-node/dist/cli.js --help >/dev/null
USER node
ENTRYPOINT ["node", "/app/packages/exec-node/dist/cli.js"]
CMD ["--data-dir", "/data", "start"]
