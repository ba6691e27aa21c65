# The devnet's deployer: deploys and configures the contracts on the devnet chain and prepares each
# daemon's data dir on the shared volume (docker/deployer/deploy.mjs), then exits. Build from the
# repository root:
#   docker build -f docker/deployer.Dockerfile -t opg-deployer .
# docker/compose.yml runs it once before the daemons.

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

# ---- runtime: the base image and /out/deployer (@opg/devnet, opg-exec), in one layer -------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    OPG_ROOT=/app \
    DEVNET_DATA_DIR=/data \
    DEVNET_RPC_URL=http://chain:8545
COPY --from=build /out/deployer /app
WORKDIR /app
# The data dirs it prepares belong to the `node` user (uid 1000), as the daemons run. `--help`
# loads every module the deployer uses (solc included) without touching a chain.
RUN mkdir -p /data && chown node:node /data \
 && node /app/docker/deployer/deploy.mjs --help >/dev/null
USER node
ENTRYPOINT ["node", "/app/docker/deployer/deploy.mjs"]
