# Sluice's image: `sluice controller` on Node.js 20, production dependencies only, as a
# non-root user, on a read-only root filesystem (it writes nothing but logs to stdout).
#   docker build -t ghcr.io/sluice-dev/sluice:0.1.0 .
# test/deploy/image.test.ts runs the same steps without Docker: a production-only install of
# the lockfile, then the entrypoint.

# 1. Compile TypeScript with the full (dev) toolchain.
FROM docker.io/library/node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, from the lockfile.
FROM docker.io/library/node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. The runtime: distroless Node.js, no shell, no package manager, user nonroot (65532).
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
USER 65532:65532
EXPOSE 8080 8443
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/sluice.js", "controller"]
