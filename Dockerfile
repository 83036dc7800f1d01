# The ha-orchestrator worker / hactl image (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# GNU tar for restores by hand; tini so that SIGTERM reaches the worker and it drains.
RUN apt-get update && apt-get install -y --no-install-recommends tar gzip tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# Two malloc arenas instead of one per thread, and freed memory handed back: a smaller idle
# worker (src/platform/worker-process-env.ts).
ENV MALLOC_ARENA_MAX=2
ENV MALLOC_MMAP_THRESHOLD_=131072
ENV MALLOC_TRIM_THRESHOLD_=131072
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/hactl.js"]
CMD ["worker"]
