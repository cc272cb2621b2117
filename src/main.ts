// `npm start`: load the config, build the app, serve. SIGTERM or SIGINT stops it cleanly (the
// worker pool drains first); a second signal exits at once. The handlers are installed before
// the slow start (migrations, registry sync) so a stop during it is clean too.
import { buildApp, type App } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';

const config = loadOrExit();
const log = createLogger(config.logLevel);
let app: App | undefined;
let stopping = false;

function stop(signal: string) {
  if (stopping) process.exit(1);
  stopping = true;
  log.info({ signal }, 'stopping');
  // Before the app is up there is nothing to drain: migrations are transactional.
  if (!app) process.exit(0);
  app.stop().then(
    () => process.exit(0),
    (err) => {
      log.error({ err }, 'unclean stop');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  app = await buildApp(config, { log });
  const { url } = await app.start();
  const where = app.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL at DATABASE_URL';
  console.log(`callgate is up (${where}): GraphiQL at ${url}`);
} catch (err) {
  console.error(`callgate could not start: ${(err as Error).message}`);
  process.exit(1);
}

function loadOrExit() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    console.error(`callgate could not start: ${(err as Error).message}`);
    process.exit(1);
  }
}
