# syntax=docker/dockerfile:1
# The devnet's chain: a Hardhat node (contracts/, Hardhat 3 / EDR) on 0.0.0.0:8545 mining a block
# every second, like the native devnet's (docker/chain/entrypoint.mjs). Build from the repository root:
#   docker build -f docker/chain.Dockerfile -t opg-chain .
#   docker run -p 8545:8545 opg-chain
# Its state is in memory: a new container is a new chain.

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

# ---- prod: the contracts package with its devDependencies (hardhat and its plugins) -------------
FROM build AS prod
RUN --mount=type=cache,id=opg-pnpm-store,target=/pnpm/store \
    rm -rf node_modules packages/*/node_modules contracts/node_modules circuits/node_modules \
 && pnpm install --frozen-lockfile --prefer-offline --filter "@opg/contracts" --store-dir /pnpm/store

# ---- runtime ------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV HARDHAT_DISABLE_TELEMETRY_PROMPT=true \
    DO_NOT_TRACK=1 \
    CHAIN_HOST=0.0.0.0 \
    CHAIN_PORT=8545 \
    CHAIN_BLOCK_TIME_MS=1000
WORKDIR /app
COPY --from=prod /app /app
COPY docker/chain /app/docker/chain
# `hardhat node` watches contracts/artifacts/build-info: it must be able to create it.
RUN mkdir -p /app/contracts/artifacts /app/contracts/cache \
 && chown -R node:node /app/contracts/artifacts /app/contracts/cache
USER node
EXPOSE 8545
HEALTHCHECK --interval=2s --timeout=5s --start-period=10s --retries=30 \
    CMD ["node", "/app/docker/chain/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/docker/chain/entrypoint.mjs"]
