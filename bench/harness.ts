// What every figure script shares: a fresh database on the local server, the gateway as a child
// process, a services file in a temp dir, percentiles, and writing one figure's result as JSON.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startGatewayProcess } from '../scripts/gateway-process';
import { openDatabase } from '../src/db/client';
import { migrate } from '../src/db/migrate';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** The server to load; only 127.0.0.1 is allowed, so a benchmark never loads someone else's machine. */
export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (new URL(SERVER_URL).hostname !== '127.0.0.1') throw new Error(`BENCH_DATABASE_URL must point at 127.0.0.1, not ${SERVER_URL}`);

/** Seconds of measured load per figure (BENCH_SECONDS); 15 keeps `npm run bench` near a minute and a half on two cores. */
export const LOAD_SECONDS = boundedNumber(process.env.BENCH_SECONDS, 15, 1, 120);

/** Node's start and the migrations; generous for two busy cores. */
const GATEWAY_START_TIMEOUT_MS = 60_000;
/** SIGTERM drains in-flight calls (CALLGATE_DRAIN_GRACE_MS); past this the gateway is killed. */
const GATEWAY_STOP_TIMEOUT_MS = 15_000;

export function boundedNumber(raw: string | undefined, fallback: number, min: number, max: number): number {
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`expected a number in [${min}, ${max}], got ${raw}`);
  return n;
}

/** Run at exit or on SIGINT/SIGTERM, newest first, so a stopped benchmark leaves no database or process behind. */
const cleanups: Array<() => Promise<void>> = [];
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}
export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop() as () => Promise<void>;
    await fn().catch((err: unknown) => console.error(`cleanup failed: ${(err as Error).message}`));
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}
// An output pipe closed early (`| head`) must not leave the database behind.
process.stdout.on('error', () => {});
process.once('uncaughtException', (err) => {
  console.error(err);
  void cleanUp().finally(() => process.exit(1));
});

export type Sql = postgres.Sql;

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small pool for the benchmark's own statements (setup, polling, reading results). */
  sql: Sql;
}

/** callgate_bench_<pid>, migrated, dropped at cleanUp(). */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const { name, url } = await createEmptyDatabase(`callgate_bench_${process.pid}`);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  // Cleanups run newest first: this pool closes before its database is dropped.
  onCleanup(() => sql.end({ timeout: 5 }));
  const database = await openDatabase({ url, maxConnections: 1 });
  try {
    await migrate(database, url);
  } finally {
    await database.close();
  }
  return { name, url, sql };
}

/** An empty database on the bench server (a peer installs its own schema), dropped by `drop()` or at cleanUp(). */
export async function createEmptyDatabase(name: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= (async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    })());
  onCleanup(drop);
  return { name, url: u.toString(), drop };
}

export async function writeServicesFile(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'callgate-bench-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'services.yaml');
  await writeFile(path, yaml);
  return path;
}

/** A mock service that answers at once: what enqueue and latency load, with no upstream to wait for. */
export const MOCK_SERVICES = `services:
  - name: bench
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [0, 0] }
`;
export const ENQUEUE = `mutation Enqueue($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } }
}`;

export interface Gateway {
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  pid: number;
  output(): string;
  /** SIGTERM (the gateway drains), SIGKILL if it is still up after GATEWAY_STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

let built = false;

/**
 * The gateway as a child process at log level warn, built and run as `npm start` runs it (the
 * bundle, not tsx); stopped at cleanup if a figure fails.
 */
export async function startGateway(opts: { databaseUrl: string; servicesFile: string; env?: Record<string, string> }): Promise<Gateway> {
  if (!built) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    built = true;
  }
  const gateway = await startGatewayProcess({
    entry: 'built',
    databaseUrl: opts.databaseUrl,
    servicesFile: opts.servicesFile,
    env: { LOG_LEVEL: 'warn', ...opts.env },
    startTimeoutMs: GATEWAY_START_TIMEOUT_MS,
    // BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the gateway.
    nodeArgs: (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopChild(gateway, gateway.exited, GATEWAY_STOP_TIMEOUT_MS));
  onCleanup(stop);
  return { url: gateway.url, pid: gateway.pid, output: gateway.output, stop };
}

/** SIGTERM, then SIGKILL after `timeoutMs`; harmless once the process has exited. */
export async function stopChild(proc: { kill(signal: NodeJS.Signals): unknown }, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  if ((await Promise.race([exited, late])) === 'late') {
    proc.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/** Polls `check` every `intervalMs` until it is true; false when `timeoutMs` passed first. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  const maxPolls = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let poll = 0; poll < maxPolls; poll++) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await sleep(intervalMs);
  }
  return false;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function ascending(values: Iterable<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** A row of the results table; the cells are already formatted for people. */
export interface Row {
  figure: string;
  callgate: string;
  baseline: string;
  ratio: string;
  target: string;
  /** Undefined for a row that has no target (a reference point, like enqueue at 1 client). */
  met: boolean | undefined;
}

export interface FigureResult {
  figure: string;
  /** Same for every figure of one `npm run bench` (BENCH_RUN_ID), so the runner reads no stale file. */
  runId: string;
  finishedAt: string;
  rows: Row[];
  /** The raw numbers behind the rows. */
  details: Record<string, unknown>;
}

export async function saveFigure(figure: string, rows: Row[], details: Record<string, unknown>): Promise<void> {
  const result: FigureResult = {
    figure,
    runId: process.env.BENCH_RUN_ID ?? `single-${process.pid}`,
    finishedAt: new Date().toISOString(),
    rows,
    details,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `${figure}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${markdownTable(rows)}`);
}

export function markdownTable(rows: Row[]): string {
  const lines = ['| figure | callgate | baseline | ratio | target |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.figure} | ${r.callgate} | ${r.baseline} | ${r.ratio} | ${r.target}${r.met === undefined ? '' : r.met ? ' (met)' : ' (missed)'} |`);
  return lines.join('\n');
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  postgres: string;
}

export async function describeMachine(sql: Sql): Promise<Machine> {
  const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    postgres: row?.version ?? 'unknown',
  };
}

/** Runs `main`, then always cleans up; a failure exits non-zero with its message. */
export function runFigure(main: () => Promise<void>): void {
  main()
    .then(cleanUp, async (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      await cleanUp();
      process.exitCode = 1;
    })
    .finally(() => {
      // Anything left (an undici socket, a timer) must not keep a finished benchmark alive.
      setTimeout(() => process.exit(), 100).unref();
    });
}

export const fmt = {
  rate: (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`,
  ms: (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`,
  ratio: (n: number) => `${n.toFixed(2)} ×`,
};

/** CPU seconds (user + system) a process used so far, from /proc; 0 where there is no /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Linux's USER_HZ on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds of every process named `postgres` (the server and all its backends). */
export function postgresCpuSeconds(): number {
  let total = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(pid));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** CPU use of the named processes and of PostgreSQL over a stretch of load, in cores (1 = one core busy). */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const at = performance.now();
  const before: Record<string, number> = { postgres: postgresCpuSeconds(), ...mapValues(pids, cpuSeconds) };
  return () => {
    const seconds = (performance.now() - at) / 1000;
    const after = { postgres: postgresCpuSeconds(), ...mapValues(pids, cpuSeconds) };
    return mapValues(after, (used, name) => Number(((used - (before[name] ?? 0)) / seconds).toFixed(2)));
  };
}

function mapValues<T, U>(o: Record<string, T>, fn: (value: T, name: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([name, value]) => [name, fn(value, name)]));
}
