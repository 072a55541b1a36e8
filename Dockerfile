# syntax=docker/dockerfile:1
# The cascade-router image: one image, every long-running `cascade` command (worker, gateway,
# codec-server) and the one-shot `cascade setup`. docker-compose.yml builds it; see docs/deploy.md.
#
#   docker build -t cascade-router:0.1.0 .
#   docker run --rm cascade-router:0.1.0 --help

# ---- build: compile the TypeScript, bundle the workflows, drop the dev dependencies ----
FROM node:20.20.2-bookworm-slim AS build

# better-sqlite3 (the default SQLite ledger) is a native module: prebuild-install fetches a
# binary when one matches, else node-gyp compiles it with these.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (their layer is reused until the lockfile changes). --ignore-scripts keeps
# npm from running the project's own `prepare` (the build) before the sources are here; the one
# dependency whose install script matters, better-sqlite3, is rebuilt explicitly.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3

COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src

# Compile, then bundle the workflows once (the worker loads it with --workflow-bundle instead of
# running webpack at every start), then keep only the production dependencies.
RUN npm run build \
  && node -e "require('@temporalio/worker').bundleWorkflowCode({ workflowsPath: require.resolve('./dist/src/temporal/workflows') }).then((b) => require('node:fs').writeFileSync('dist/workflow-bundle.js', b.code))" \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# ---- runtime: node, the compiled code and the production node_modules; no compilers ----
FROM node:20.20.2-bookworm-slim AS runtime

ENV NODE_ENV=production
WORKDIR /app

# Owned by root and read-only to the process: the code cannot be changed by what it runs.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# The only writable place: the default cache dir (.cascade; a SQLite ledger when no
# CASCADE_LEDGER_URL is given). Production uses PostgreSQL and writes nothing here.
RUN mkdir -p /app/.cascade && chown 1000:1000 /app/.cascade

# The base image's unprivileged `node` user, by number (Kubernetes runAsNonRoot checks the number).
USER 1000:1000

# gateway, codec server, cascade_* metrics, Temporal SDK metrics
EXPOSE 8787 8789 9464 9465

ENTRYPOINT ["node", "bin/cascade.js"]
CMD ["worker"]
