# callgate gateway image. TypeScript runs through tsx (a runtime dependency), so there is no build
# step: install, copy, start. Used by docker-compose.yml next to PostgreSQL 16.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so a source-only change reuses the cached install layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY . .
# The code stays root-owned (read-only to the app); only the embedded-PGlite data directory, used
# when DATABASE_URL is unset, must be writable by the non-root user.
RUN mkdir -p .callgate && chown node:node .callgate

ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
EXPOSE 4000

# The slim image has no curl; Node 20's global fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

USER node

# node is PID 1 (no npm wrapper), so SIGTERM from `docker stop` reaches main.ts and starts the drain.
CMD ["node", "--import", "tsx", "src/main.ts"]
