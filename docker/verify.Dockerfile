# opg-verify: the verifier daemon. Build from the repository root:
#   docker build -f docker/verify.Dockerfile -t opg-verify .
# Run: `docker run -v DATA:/data opg-verify --data-dir /data start`, configured by
# /data/config.json, OPG_* env or flags (packages/runtime/src/commonConfig.ts, the daemon's
# src/config.ts). docker/compose.yml runs three.

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

# ---- runtime: the base image and /out/verify, in one layer ---------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
COPY --from=build /out/verify /app
WORKDIR /app
# The node's state (keystore, peer key, database) lives in its data dir, owned by the
# unprivileged `node` user (uid 1000) the daemon runs as. The command must run (--help) to build.
RUN mkdir -p /data && chown node:node /data \
 && node /app/packages/verify-node/dist/cli.js --help >/dev/null
USER node
ENTRYPOINT ["node", "/app/packages/verify-node/dist/cli.js"]
CMD ["--data-dir", "/data", "start"]
