// A database of the test file's own: a clone of the migrated template on the real server, or a
// migrated in-memory PGlite when no server is reachable (see global-setup.ts).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { databaseUrl } from './pg-url';

export interface TestDatabase {
  database: Database;
  /** Connection URL on the real server; undefined on PGlite. */
  url: string | undefined;
  /** Closes the connection and drops the database. */
  drop(): Promise<void>;
}

export const hasPgServer = (): boolean => inject('pgServerUrl') !== null;
export const pgSkipReason = (): string => inject('pgUnavailableReason') ?? '';

/** Creates an empty migrated database on the server and returns its URL (or undefined on PGlite). */
export async function createDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const server = inject('pgServerUrl');
  const template = inject('pgTemplate');
  if (!server || !template) return { url: undefined, drop: async () => {} };
  const name = `callgate_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${template}"`);
  return {
    url: databaseUrl(server, name),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { url, drop } = await createDatabaseUrl();
  const database = await openDatabase({ url, dataDir: 'memory://' });
  if (!url) await migrate(database, undefined);
  return {
    database,
    url,
    async drop() {
      await database.close();
      await drop();
    },
  };
}

/** The file's database for its tests: created before them, dropped after. */
export function useTestDatabase(): TestDatabase {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());
  return {
    get database() {
      return t!.database;
    },
    get url() {
      return t!.url;
    },
    drop: () => t!.drop(),
  };
}
