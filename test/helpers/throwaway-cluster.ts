// A PostgreSQL cluster of the test's own (initdb + pg_ctl in a temp dir, on a spare port), for
// tests that stop and start the database under a running gateway. Never the shared server on
// 5432. The server refuses to run as root, so when the tests run as root every command runs as
// the `postgres` OS user (runuser) and the directory is handed to it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The newest installed server's binaries (Debian's layout, /usr/lib/postgresql/<major>/bin). */
export const PG_BIN = newestServerBin('/usr/lib/postgresql');
const OS_USER = 'postgres';

function newestServerBin(root: string): string {
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, majors.find((m) => existsSync(join(root, m, 'bin', 'initdb'))) ?? '15', 'bin');
}

/**
 * Why these tests cannot run here, or undefined when they can. Where the server tests are
 * required (CI: CALLGATE_TEST_REQUIRE_PG=1), a missing initdb is a failure, not a quiet skip.
 */
export function clusterSkipReason(): string | undefined {
  const reason = process.platform === 'win32' ? 'needs a POSIX system' : existsSync(join(PG_BIN, 'initdb')) ? undefined : `${PG_BIN}/initdb is missing`;
  if (reason && process.env.CALLGATE_TEST_REQUIRE_PG === '1') throw new Error(`CALLGATE_TEST_REQUIRE_PG=1 but a throwaway cluster cannot run: ${reason}`);
  return reason;
}

export interface ThrowawayCluster {
  url: string;
  /** `pg_ctl stop -m immediate`: the postmaster and its backends die at once, as in a crash. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its directory. */
  destroy(): Promise<void>;
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'callgate-pgfault-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', OS_USER]);
    const { stdout: gid } = await run('id', ['-g', OS_USER]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', OS_USER, '--', join(PG_BIN, tool), ...args]) : run(join(PG_BIN, tool), args);
  const data = join(dir, 'data');
  const port = await sparePort();
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // Unix socket in our own directory, TCP on loopback only; no fsync: the test crashes it on purpose.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  };
  let running = false;
  await start();
  running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crash() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
