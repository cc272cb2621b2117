# callgate gateway image: TypeScript is bundled to dist/ in a build stage, and the runtime stage
# holds only production dependencies, the bundle, the migrations and the example registry.
# Used by docker-compose.yml next to PostgreSQL 16.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a source-only change reuses the cached install layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
COPY services.yaml ./
# The code stays root-owned (read-only to the app); only the embedded-PGlite data directory, used
# when DATABASE_URL is unset, must be writable by the non-root user.
RUN mkdir -p .callgate && chown node:node .callgate

# Inside a container the port must be reachable from outside it; publish it deliberately.
ENV HOST=0.0.0.0 PORT=4000
EXPOSE 4000

# The slim image has no curl; Node's global fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

USER node

# node is PID 1 (no npm wrapper), so SIGTERM from `docker stop` reaches main.ts and starts the drain.
CMD ["node", "--enable-source-maps", "dist/main.js"]
