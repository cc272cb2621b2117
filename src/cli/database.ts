// The CLI's database: DATABASE_URL, else the embedded one in CALLGATE_DATA_DIR left by a stopped
// gateway. Failures become one clear sentence: nothing there yet, locked by a running gateway, or
// the server unreachable (never quoting DATABASE_URL, which usually holds a password).
import { existsSync } from 'node:fs';
import type { Config } from '../config';
import { openDatabase, pgliteFilesOf, type Database } from '../db/client';
import { DataDirLockedError } from '../db/data-dir-lock';
import { CliError, EXIT } from './command';

/**
 * postgres.js waits 30 s for a connection by default; a script asking a dead server should hear
 * so sooner. Ten seconds still covers a slow first TLS handshake.
 */
const CONNECT_TIMEOUT_MS = 10_000;

interface OpenFor {
  /** `migrate` may create the embedded database; every other command needs one that exists. */
  create: boolean;
}

export async function openCliDatabase(config: Config, opts: OpenFor): Promise<Database> {
  if (!config.databaseUrl && !opts.create && !existsSync(pgliteFilesOf(config.dataDir))) {
    throw new CliError(
      `no embedded database in ${config.dataDir}: start the gateway there once (npm start) or run \`callgate migrate\`, ` +
        'or set DATABASE_URL (or CALLGATE_DATA_DIR) to the database to read',
      EXIT.failure,
    );
  }
  let database: Database;
  try {
    database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, maxConnections: 1 });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new CliError(err.message, EXIT.failure);
    throw err;
  }
  try {
    await withTimeout(database.ping(), CONNECT_TIMEOUT_MS);
  } catch (err) {
    await database.close().catch(() => {});
    throw new CliError(`cannot reach the database at DATABASE_URL: ${(err as Error).message}`, EXIT.failure);
  }
  return database;
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
