// Migrates a template database once per run; each test file clones its own from it (fast, and
// files run in parallel). Without a reachable server the tests fall back to PGlite, unless
// CALLGATE_TEST_REQUIRE_PG=1 (CI), where a missing server is a failure.
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { adminUrl, databaseUrl } from './helpers/pg-url';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URL (any database) when a PostgreSQL server is reachable, else null. */
    pgServerUrl: string | null;
    /** The migrated template database each test file clones. */
    pgTemplate: string | null;
    pgUnavailableReason: string | null;
  }
}

export default async function setup(project: TestProject) {
  const url = adminUrl();
  const admin = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {});
    const reason = `no PostgreSQL at ${url} (${(err as Error).message})`;
    if (process.env.CALLGATE_TEST_REQUIRE_PG === '1') throw new Error(`CALLGATE_TEST_REQUIRE_PG=1 but ${reason}`);
    project.provide('pgServerUrl', null);
    project.provide('pgTemplate', null);
    project.provide('pgUnavailableReason', reason);
    return;
  }
  const template = `callgate_tpl_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database "${template}"`);
  const database = await openDatabase({ url: databaseUrl(url, template), maxConnections: 1 });
  await migrate(database, databaseUrl(url, template));
  await database.close();
  project.provide('pgServerUrl', url);
  project.provide('pgTemplate', template);
  project.provide('pgUnavailableReason', null);
  return async () => {
    await admin.unsafe(`drop database if exists "${template}" with (force)`);
    await admin.end({ timeout: 5 });
  };
}
