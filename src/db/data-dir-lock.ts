// One process at a time on an embedded data directory. PGlite 0.5 does not notice a second
// process: both open the same files (its postmaster.pid holds a fixed fake pid) and corrupt them.
// So whoever opens it (the gateway, the CLI) writes its pid to a lock file first.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'callgate.pid';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by another callgate process (pid ${pid}, usually a running gateway): ` +
        `stop it first, or set DATABASE_URL to share a PostgreSQL server`,
    );
  }
}

/**
 * Takes the lock or throws DataDirLockedError; returns its release. A lock left by a process that
 * died (SIGKILL, power loss) is taken over. Our own pid counts as dead too: a container restarted
 * on the same volume runs as pid 1 again. A guard against the common mistake, not a distributed
 * lock: two processes taking over the same stale lock at the same instant could both win.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  // Written aside and linked into place, so a reader never sees a lock file without its pid.
  const draft = `${file}.${process.pid}`;
  writeFileSync(draft, `${process.pid}\n`);
  try {
    for (;;) {
      try {
        linkSync(draft, file);
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number.parseInt(readHolder(file), 10);
      if (holder > 0 && holder !== process.pid && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(draft, { force: true });
  }
}

function readHolder(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
