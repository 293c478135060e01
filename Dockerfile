# Tandem's production image: the built server and web app on Node 20, run as `node`.
#   docker build -t tandem .
#   docker compose --profile deploy up      (two instances behind Caddy; see docs/deploy.md)

ARG NODE_IMAGE=node:20-slim

# Build: the whole workspace, then a production-only copy of the server (pnpm deploy).
FROM ${NODE_IMAGE} AS build
ENV CI=true
RUN npm install -g pnpm@12.4.2
WORKDIR /src
# The manifests first, so the install layer is reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/server/package.json apps/server/
COPY apps/web/package.json apps/web/
COPY packages/db/package.json packages/db/
COPY packages/shared/package.json packages/shared/
COPY packages/testing/package.json packages/testing/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm build \
  && pnpm --filter @tandem/server deploy --prod /out/apps/server \
  && cp -r apps/web/dist /out/apps/web-dist

# Run: the bundle, its registry packages and the web app; no sources, no dev tools.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /out/apps/server apps/server
COPY --from=build --chown=node:node /out/apps/web-dist apps/web/dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# 200 once the database is reachable and migrated; 503 while the server waits for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (docs/operations.md); give it SHUTDOWN_TIMEOUT_MS (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "apps/server/dist/index.js"]
