# The devnet's one image: every service of docker/compose.yml (chain, deployer, opg-exec,
# opg-verify) runs from it with its own entrypoint. Not built from the repository root:
# docker/devnet-image streams it a context made of this file and `rootfs/`, which holds this
# checkout's installed and built workspace (`rootfs/app`, node_modules with pnpm's relative
# symlinks, build outputs, compiled contracts) and the devnet's empty data dir (`rootfs/data`).
# The workspace is installed and compiled once, on the host (scripts/devnet and scripts/test do
# it anyway): the image build only copies it, in one layer on top of the base image.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    OPG_ROOT=/app \
    HARDHAT_DISABLE_TELEMETRY_PROMPT=true \
    DO_NOT_TRACK=1
# /app and /data belong to `node` (uid 1000), which every service runs as: the chain writes its
# artifacts cache under /app/contracts, the deployer and the daemons their state under /data (the
# compose volume starts as a copy of this /data, ownership included).
COPY --chown=1000:1000 rootfs/ /
WORKDIR /app
USER node
