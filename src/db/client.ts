// Opens the database: postgres.js on a real server when a URL is given, else the embedded PGlite
// kept in a data directory. Both come back as one Database so nothing above cares which it is.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { lockDataDir } from './data-dir-lock';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /**
   * LISTENs on a channel. `onListen` runs once listening and again after every reconnect, so a
   * caller can re-read what it may have missed while the connection was down.
   */
  listen(channel: string, onMessage: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

interface OpenOptions {
  url?: string | undefined;
  /** PGlite data directory; `memory://` keeps nothing. */
  dataDir?: string;
  /** postgres.js pool size. @default 10 */
  maxConnections?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.maxConnections ?? 10) : openPglite(opts.dataDir ?? 'memory://');
}

/**
 * While the server is unreachable, statements must fail within seconds (the API answers
 * DATABASE_UNAVAILABLE, the worker keeps its outcomes), not hang: postgres.js waits 30 s for a
 * connection by default, and after repeated failures backs off up to 20 s before it even tries
 * again, with every new statement waiting behind that. A refused connection fails at once; a
 * silent host gets CONNECT_TIMEOUT_S. Retries stay spaced (never a hot loop: one attempt per
 * waiting statement) but never more than a second apart.
 */
const CONNECT_TIMEOUT_S = 3;
const reconnectDelayS = (retries: number) => Math.min(0.05 * 2 ** retries, 1);

function openPostgres(url: string, max: number): Database {
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: CONNECT_TIMEOUT_S, backoff: reconnectDelayS });
  const db = drizzlePostgres({ client, schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async listen(channel, onMessage, onListen) {
      const meta = await client.listen(channel, onMessage, onListen);
      return () => meta.unlisten();
    },
    async ping() {
      await client`select 1`;
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/** Where PGlite keeps its files inside a data directory (the directory also holds the lock). */
export function pgliteFilesOf(dataDir: string): string {
  return join(dataDir, 'pgdata');
}

async function openPglite(dataDir: string): Promise<Database> {
  let location = dataDir;
  let unlock = () => {};
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
    location = pgliteFilesOf(dataDir);
  }
  const client = await PGlite.create(location).catch((err: unknown) => {
    unlock();
    throw err;
  });
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    async listen(channel, onMessage, onListen) {
      const unlisten = await client.listen(channel, onMessage);
      onListen?.();
      return unlisten;
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.close();
      unlock();
    },
  };
}
