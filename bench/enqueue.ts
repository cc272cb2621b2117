// Figure 1, enqueue: callService over HTTP at 1, 16 and 64 clients against a gateway that only
// enqueues (WORKER_CONCURRENCY=0), each as a ratio of pgbench's single-row INSERT TPS into the same
// table at as many clients. The targets are for 64 clients; 1 and 16 show how the ratio scales.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';
import { DEFAULT_TENANT_ID } from '../src/db/schema';
import {
  ascending,
  cpuMeter,
  createBenchDatabase,
  describeMachine,
  fmt,
  LOAD_SECONDS,
  onCleanup,
  percentile,
  runFigure,
  saveFigure,
  ENQUEUE,
  MOCK_SERVICES,
  startGateway,
  writeServicesFile,
  type Row,
} from './harness';

/** One client shows the per-request cost, 16 and 64 how well concurrent requests share the database. */
const CLIENT_LEVELS = [1, 16, 64] as const;
const TARGET_CLIENTS = 64;
/** Unmeasured load first: connections, prepared statements and Node's JIT settle. */
const WARMUP_SECONDS = 2;
/** A bound on requests per client, far above what one can send in LOAD_SECONDS. */
const MAX_REQUESTS_PER_CLIENT = 1_000_000;
/** A request slower than this is a failure, not a latency sample. */
const REQUEST_TIMEOUT_MS = 10_000;
/** pgbench is killed if it overruns its -T by this much. */
const PGBENCH_GRACE_MS = 30_000;
/** pgbench's CPU is read this long before its -T ends, while it still runs. */
const CPU_READ_MARGIN_MS = 300;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;

/** The same small input in both runs. */
const INPUT = { orderId: 'ord_12345', amount: 4200, currency: 'EUR' };
const MAX_ATTEMPTS = 5;

runFigure(async () => {
  const db = await createBenchDatabase();
  const machine = await describeMachine(db.sql);
  const servicesFile = await writeServicesFile(MOCK_SERVICES);

  // Baselines first, with no gateway running, so pgbench has both cores.
  const baselines = new Map<number, PgbenchResult>();
  for (const clients of CLIENT_LEVELS) {
    const result = await runPgbench(db.name, dirname(servicesFile), clients);
    console.log(`pgbench, ${clients} clients: ${result.tps.toFixed(0)} TPS over ${LOAD_SECONDS} s; CPU in cores ${JSON.stringify(result.cpuCores)}`);
    baselines.set(clients, result);
    await db.sql`truncate jobs cascade`;
  }
  await db.sql`vacuum analyze jobs`;

  // The figure is raw enqueue throughput: the per-key rate limit (6,000 a minute) would cap it at 100/s.
  const gateway = await startGateway({ databaseUrl: db.url, servicesFile, env: { WORKER_CONCURRENCY: '0', CALLGATE_RATE_LIMIT_PER_MINUTE: '0' } });
  const pool = new Pool(new URL(gateway.url).origin, { connections: Math.max(...CLIENT_LEVELS), pipelining: 1 });
  onCleanup(async () => {
    if (!pool.closed) await pool.close();
  });
  const body = JSON.stringify({ query: ENQUEUE, variables: { input: { service: 'bench', operation: 'echo', input: INPUT, maxAttempts: MAX_ATTEMPTS } } });

  await load(pool, gateway.url, body, WARMUP_SECONDS, TARGET_CLIENTS);
  const rows: Row[] = [];
  const levels: Record<string, unknown>[] = [];
  for (const clients of CLIENT_LEVELS) {
    const pgbench = baselines.get(clients)!;
    const cpu = cpuMeter({ gateway: gateway.pid, loadGenerator: process.pid });
    const run = await load(pool, gateway.url, body, LOAD_SECONDS, clients);
    const cores = cpu();
    const rate = run.ok / run.seconds;
    const sorted = ascending(run.latencies);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const ratio = rate / pgbench.tps;
    console.log(`callgate, ${clients} clients: ${rate.toFixed(0)} req/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${run.failed} failed; CPU in cores ${JSON.stringify(cores)}`);
    if (run.failed > 0) console.log(`first failure: ${run.firstFailure}`);
    const targeted = clients === TARGET_CLIENTS;
    rows.push({
      figure: `enqueue, ${clients} client${clients === 1 ? '' : 's'}`,
      callgate: `${fmt.rate(rate)} (p50 ${fmt.ms(p50)})`,
      baseline: `${fmt.rate(pgbench.tps)} pgbench INSERT`,
      ratio: fmt.ratio(ratio),
      target: targeted ? `≥ ${TARGET_RATIO}` : '—',
      met: targeted ? ratio >= TARGET_RATIO && run.failed === 0 : undefined,
    });
    if (targeted) {
      rows.push({
        figure: 'enqueue p99 latency',
        callgate: fmt.ms(p99),
        baseline: `${fmt.ms(pgbench.latencyAvgMs)} avg pgbench`,
        ratio: '—',
        target: `< ${TARGET_P99_MS} ms`,
        met: p99 < TARGET_P99_MS && run.failed === 0,
      });
    }
    levels.push({ clients, requestsPerSecond: rate, ok: run.ok, failed: run.failed, p50Ms: p50, p99Ms: p99, maxMs: sorted[sorted.length - 1], cpuCores: cores, pgbench, ratio });
  }
  await gateway.stop();
  const [stored] = await db.sql<{ n: number }[]>`select count(*)::int as n from jobs`;
  await saveFigure('enqueue', rows, { machine, seconds: LOAD_SECONDS, levels, jobsStored: stored?.n });
});

interface LoadRun {
  ok: number;
  failed: number;
  firstFailure: string | undefined;
  seconds: number;
  latencies: number[];
}

/** `clients` loops, each sending one callService at a time until `seconds` have passed. */
async function load(pool: Pool, url: string, body: string, seconds: number, clients: number): Promise<LoadRun> {
  const run: LoadRun = { ok: 0, failed: 0, firstFailure: undefined, seconds, latencies: [] };
  const start = performance.now();
  const end = start + seconds * 1000;
  const client = async () => {
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && performance.now() < end; i++) {
      const sent = performance.now();
      try {
        const res = await request(url, {
          dispatcher: pool,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
        });
        const answer = (await res.body.json()) as { data?: { callService?: { __typename?: string } }; errors?: unknown };
        if (res.statusCode !== 200 || answer.data?.callService?.__typename !== 'CallServiceSuccess') {
          throw new Error(`HTTP ${res.statusCode}: ${JSON.stringify(answer).slice(0, 300)}`);
        }
        run.ok += 1;
        run.latencies.push(performance.now() - sent);
      } catch (err) {
        run.failed += 1;
        run.firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  run.seconds = (performance.now() - start) / 1000;
  return run;
}

interface PgbenchResult {
  tps: number;
  cpuCores: Record<string, number>;
  latencyAvgMs: number;
  transactions: number;
  command: string;
}

/** pgbench -c <clients> -j 2 -T LOAD_SECONDS with one INSERT per transaction, like the gateway's. */
async function runPgbench(database: string, dir: string, clients: number): Promise<PgbenchResult> {
  const script = join(dir, 'insert-job.sql');
  const input = JSON.stringify(INPUT).replaceAll("'", "''");
  await writeFile(
    script,
    `INSERT INTO jobs (tenant_id, service, operation, input, max_attempts) VALUES ('${DEFAULT_TENANT_ID}', 'bench', 'echo', '${input}', ${MAX_ATTEMPTS});\n`,
  );
  const args = ['-n', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-M', 'prepared', '-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(LOAD_SECONDS), '-f', script, database];
  const child = spawn('/usr/bin/pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const cpu = cpuMeter({ pgbench: child.pid as number });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_SECONDS * 1000 + PGBENCH_GRACE_MS);
  const exited = once(child, 'exit') as Promise<[number | null]>;
  // Read just before the end: once pgbench exits its CPU time is gone from /proc.
  const cores = await new Promise<Record<string, number>>((resolve) => setTimeout(() => resolve(cpu()), LOAD_SECONDS * 1000 - CPU_READ_MARGIN_MS));
  const [code] = await exited;
  clearTimeout(timer);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(out)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
  if (code !== 0 || !tps) throw new Error(`pgbench failed (exit ${code}):\n${out}`);
  return { tps: Number(tps), cpuCores: cores, latencyAvgMs: Number(latency), transactions: Number(transactions), command: `pgbench ${args.join(' ')}` };
}
