// Runs one peer's drain (drain-peer.ts) in a child process on a database of its own, created here
// and dropped at cleanup, against the drain figure's no-op upstream; returns what it measured.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEmptyDatabase, ROOT, stopChild } from '../harness';

export interface PeerResult {
  label: string;
  mode: string;
  settings: string;
  jobs: number;
  completed: number;
  failed: number;
  seconds: number;
  finished: boolean;
  jobsPerSecond: number;
  /** During the drain: the peer's process and PostgreSQL, in cores. */
  cpuCores: Record<string, number>;
}

/** Enqueueing (not timed) plus the drain's own limit; past this the child is stopped. */
const PEER_TIMEOUT_MS = 180_000;
const PEER_STOP_TIMEOUT_MS = 10_000;

export async function runPeer(
  name: 'graphile-worker' | 'pg-boss',
  opts: { upstreamUrl: string; jobs: number; concurrency: number; limitSeconds: number },
): Promise<PeerResult> {
  const db = await createEmptyDatabase(`callgate_bench_${name.replace('-', '_')}_${process.pid}`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'peers', 'drain-peer.ts'), name], {
    cwd: ROOT,
    env: {
      ...process.env,
      PEER_DATABASE_URL: db.url,
      PEER_UPSTREAM_URL: opts.upstreamUrl,
      PEER_JOBS: String(opts.jobs),
      PEER_CONCURRENCY: String(opts.concurrency),
      PEER_LIMIT_S: String(opts.limitSeconds),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const timer = setTimeout(() => void stopChild(child, exited, PEER_STOP_TIMEOUT_MS), PEER_TIMEOUT_MS);
  let line: string | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (l.startsWith('result ')) line = l.slice('result '.length);
    else console.log(l);
  });
  const [code] = await exited;
  clearTimeout(timer);
  await db.drop();
  if (code !== 0 || !line) throw new Error(`${name} drain exited ${code} without a result`);
  const r = JSON.parse(line) as Omit<PeerResult, 'jobsPerSecond'>;
  return { ...r, jobsPerSecond: r.completed / r.seconds };
}
