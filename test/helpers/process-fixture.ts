// For tests that run gateways as child processes on the real server: a database of the file's
// own, a postgres.js client on it, a scripted upstream, a temp directory for services.yaml, and
// cleanup that SIGKILLs whatever gateway a failing test left running.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { createDatabaseUrl } from './db';
import { startGatewayProcess, type GatewayProcess, type GatewayProcessOptions } from '../../scripts/gateway-process';
import { startUpstream, type Upstream } from './upstream';

export interface ProcessFixture {
  readonly sql: postgres.Sql;
  /** The fixture's database, for processes the test spawns itself. */
  readonly databaseUrl: string;
  readonly upstream: Upstream;
  /** Writes services.yaml into the fixture's directory; returns its path. */
  writeServices(yaml: string): Promise<string>;
  /** A gateway child process on the fixture's database. */
  /** `entry` as startGatewayProcess takes it: `npm` runs `npm start` in a process group of its own. */
  start(instanceId: string, servicesFile: string, env?: Record<string, string>, entry?: GatewayProcessOptions['entry']): Promise<GatewayProcess>;
  /** Runs after the file's tests, before the database is dropped (e.g. to kill what a test spawned). */
  onCleanup(fn: () => void): void;
}

/** Call inside a describe: the hooks belong to it. `applicationName` tags the test's own connection. */
export function useProcessFixture(prefix: string, applicationName = 'callgate-test'): ProcessFixture {
  let dir: string | undefined;
  let database: { url: string | undefined; drop(): Promise<void> } | undefined;
  let sql: postgres.Sql | undefined;
  let upstream: Upstream | undefined;
  const gateways: GatewayProcess[] = [];
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `callgate-${prefix}-`));
    database = await createDatabaseUrl();
    sql = postgres(database.url!, { max: 1, onnotice: () => {}, connection: { application_name: applicationName } });
    upstream = await startUpstream();
  });
  afterAll(async () => {
    for (const fn of cleanups) fn();
    for (const g of gateways) g.kill('SIGKILL');
    await Promise.all(gateways.map((g) => g.exited));
    await sql?.end({ timeout: 5 });
    await upstream?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  return {
    get sql() {
      return sql!;
    },
    get upstream() {
      return upstream!;
    },
    get databaseUrl() {
      return database!.url!;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
    async writeServices(yaml) {
      const file = join(dir!, 'services.yaml');
      await writeFile(file, yaml);
      return file;
    },
    async start(instanceId, servicesFile, env = {}, entry) {
      const gateway = await startGatewayProcess({
        databaseUrl: database!.url,
        servicesFile,
        entry,
        env: { CALLGATE_INSTANCE_ID: instanceId, ...env },
      });
      gateways.push(gateway);
      return gateway;
    },
  };
}
