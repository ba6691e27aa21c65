# syntax=docker/dockerfile:1
# The devnet's deployer: deploys and configures the contracts on the devnet chain and prepares each
# daemon's data dir on the shared volume (docker/deployer/deploy.mjs), then exits. Build from the
# repository root:
#   docker build -f docker/deployer.Dockerfile -t opg-deployer .
# docker/compose.yml runs it once before the daemons.

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

# ---- prod: @opg/devnet (testkit, contracts, p2p) and opg-exec (`models add`), without devDependencies
FROM build AS prod
RUN --mount=type=cache,id=opg-pnpm-store,target=/pnpm/store \
    rm -rf node_modules packages/*/node_modules contracts/node_modules circuits/node_modules \
 && pnpm install --frozen-lockfile --prefer-offline --prod \
      --filter-prod "@opg/devnet..." --filter-prod "@opg/exec-node..." --store-dir /pnpm/store

# ---- runtime ------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    OPG_ROOT=/app \
    DEVNET_DATA_DIR=/data \
    DEVNET_RPC_URL=http://chain:8545
WORKDIR /app
COPY --from=prod /app /app
COPY docker/deployer /app/docker/deployer
# The data dirs it prepares belong to the `node` user (uid 1000), as the daemons run.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "/app/docker/deployer/deploy.mjs"]
