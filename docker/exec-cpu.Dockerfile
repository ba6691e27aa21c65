# syntax=docker/dockerfile:1
# opg-exec on CPU: the execution daemon with onnxruntime-node's CPU execution provider (in the
# npm package). Build from the repository root:
#   docker build -f docker/exec-cpu.Dockerfile -t opg-exec-cpu .
# Run: `docker run -v DATA:/data opg-exec-cpu --data-dir /data start`, configured by
# /data/config.json, OPG_* env or flags (packages/runtime/src/commonConfig.ts, the daemon's
# src/config.ts). docker/compose.yml runs two.

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

# ---- runtime ------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod /app /app
# The node's state (keystore, peer key, models, database) lives in its data dir, owned by the
# unprivileged `node` user (uid 1000) the daemon runs as.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "/app/packages/exec-node/dist/cli.js"]
CMD ["--data-dir", "/data", "start"]
