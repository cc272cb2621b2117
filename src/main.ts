// `npm start`: load the config, build the app, serve. SIGTERM or SIGINT stops it cleanly (the
// worker pool drains first). The handlers are installed before the slow start (migrations,
// registry sync) so a stop during it is clean too.
import { buildApp, type App } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';

/**
 * One stop request can arrive as several signals: `npm start` relays the signal that the whole
 * process group already received (Ctrl-C, `kill -- -PGID`, process managers), so node sees it
 * twice within milliseconds. Copies inside this window are the same request; a signal after it is
 * a deliberate second one and exits at once.
 */
const DUPLICATE_SIGNAL_WINDOW_MS = 3_000;

const config = loadOrExit();
const log = createLogger(config.logLevel);
let app: App | undefined;
let stopRequestedAt: number | undefined;

function stop(signal: NodeJS.Signals) {
  if (stopRequestedAt !== undefined) {
    if (Date.now() - stopRequestedAt < DUPLICATE_SIGNAL_WINDOW_MS) {
      log.debug({ signal }, 'ignored a copy of the stop signal');
      return;
    }
    log.warn({ signal }, 'second stop signal: exiting now, in-flight jobs return to PENDING when their lease expires');
    process.exit(1);
  }
  stopRequestedAt = Date.now();
  log.info({ signal }, 'stopping');
  // Before the app is up there is nothing to drain: migrations are transactional.
  if (!app) process.exit(0);
  app.stop().then(
    ({ unwritten }) => {
      if (unwritten.length === 0) process.exit(0);
      // They stay RUNNING until their leases run out; then the sweeper puts them back and they are called again.
      log.error({ jobIds: unwritten }, `stopped with ${unwritten.length} outcomes unwritten (database unreachable): ${unwritten.join(', ')}`);
      process.exit(1);
    },
    (err) => {
      log.error({ err }, 'unclean stop');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

try {
  app = await buildApp(config, { log });
  const { url } = await app.start();
  const where = app.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL at DATABASE_URL';
  console.log(`callgate is up (${where}): GraphiQL at ${url}`);
  if (app.devKey) console.log(`admin key for this embedded database (GraphiQL has it): ${app.devKey}`);
} catch (err) {
  console.error(`callgate could not start: ${startError(err)}`);
  process.exit(1);
}

function startError(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return `port ${config.port} on ${config.host} is already in use (stop the other process or set PORT)`;
  }
  return (err as Error).message;
}

function loadOrExit() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    console.error(`callgate could not start: ${(err as Error).message}`);
    process.exit(1);
  }
}
