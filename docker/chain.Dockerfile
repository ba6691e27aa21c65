# The devnet's chain: a Hardhat node (contracts/, Hardhat 3 / EDR) on 0.0.0.0:8545 mining a block
# every second, like the native devnet's (docker/chain/entrypoint.mjs). Build from the repository root:
#   docker build -f docker/chain.Dockerfile -t opg-chain .
#   docker run -p 8545:8545 opg-chain
# Its state is in memory: a new container is a new chain.

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

# ---- runtime: the base image and /out/chain (contracts, hardhat), in one layer -------------------
FROM node:24-bookworm-slim AS runtime
ENV HARDHAT_DISABLE_TELEMETRY_PROMPT=true \
    DO_NOT_TRACK=1 \
    CHAIN_HOST=0.0.0.0 \
    CHAIN_PORT=8545 \
    CHAIN_BLOCK_TIME_MS=1000
COPY --from=build /out/chain /app
WORKDIR /app
# `hardhat node` watches contracts/artifacts/build-info: it must be able to create it. `--help`
# runs `hardhat --help` in the contracts project (its config loads).
RUN mkdir -p /app/contracts/artifacts /app/contracts/cache \
 && chown -R node:node /app/contracts/artifacts /app/contracts/cache \
 && su node -s /bin/sh -c 'node /app/docker/chain/entrypoint.mjs --help >/dev/null'
USER node
EXPOSE 8545
HEALTHCHECK --interval=2s --timeout=5s --start-period=10s --retries=30 \
    CMD ["node", "/app/docker/chain/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/docker/chain/entrypoint.mjs"]
