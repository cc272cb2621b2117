// Figure 3, latency: on an idle pool of 32 workers, jobs enqueued one at a time through
// callService; enqueue → RUNNING is `started_at - created_at` of each row (both the database's
// clock), so neither the HTTP round trip nor our polling is in it. Absolute: there is no baseline.
import { Pool, request } from 'undici';
import {
  ascending,
  boundedNumber,
  createBenchDatabase,
  describeMachine,
  fmt,
  onCleanup,
  percentile,
  runFigure,
  saveFigure,
  ENQUEUE,
  MOCK_SERVICES,
  startGateway,
  waitUntil,
  writeServicesFile,
} from './harness';

const JOBS = boundedNumber(process.env.BENCH_LATENCY_JOBS, 300, 10, 100_000);
/** Unmeasured jobs first: the LISTEN connection, prepared statements and the JIT settle. */
const WARMUP_JOBS = 20;
const CONCURRENCY = 32;
/** Each job must be finished before the next is sent (the pool is idle again); past this it is a failure. */
const JOB_TIMEOUT_MS = 5_000;
/** Between reads of the job's status. Short, so jobs follow each other closely, and cheap: a primary-key read. */
const STATUS_POLL_MS = 2;
const REQUEST_TIMEOUT_MS = 10_000;
/** 300 jobs take a few seconds; this bounds the whole loop if something is slow. */
const LIMIT_MS = 120_000;
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 25;


runFigure(async () => {
  const db = await createBenchDatabase();
  const machine = await describeMachine(db.sql);
  const servicesFile = await writeServicesFile(MOCK_SERVICES);
  const gateway = await startGateway({ databaseUrl: db.url, servicesFile, env: { WORKER_CONCURRENCY: String(CONCURRENCY) } });
  const pool = new Pool(new URL(gateway.url).origin, { connections: 1 });
  onCleanup(async () => {
    if (!pool.closed) await pool.close();
  });

  const enqueue = async (n: number): Promise<string> => {
    const res = await request(gateway.url, {
      dispatcher: pool,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: ENQUEUE, variables: { input: { service: 'bench', operation: 'echo', input: { n } } } }),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const answer = (await res.body.json()) as { data?: { callService?: { __typename: string; job?: { id: string } } } };
    const id = answer.data?.callService?.job?.id;
    if (!id) throw new Error(`callService failed: HTTP ${res.statusCode} ${JSON.stringify(answer).slice(0, 300)}`);
    return id;
  };
  const finished = (id: string) =>
    waitUntil(
      async () => {
        const [row] = await db.sql<{ status: string }[]>`select status from jobs where id = ${id}`;
        return row?.status === 'succeeded';
      },
      JOB_TIMEOUT_MS,
      STATUS_POLL_MS,
    );

  const measured: string[] = [];
  const deadline = Date.now() + LIMIT_MS;
  for (let n = 0; n < WARMUP_JOBS + JOBS; n++) {
    if (Date.now() > deadline) throw new Error(`only ${measured.length} of ${JOBS} jobs ran within ${LIMIT_MS / 1000} s`);
    const id = await enqueue(n);
    if (!(await finished(id))) throw new Error(`job ${id} did not succeed within ${JOB_TIMEOUT_MS} ms`);
    if (n >= WARMUP_JOBS) measured.push(id);
  }
  await gateway.stop();

  const rows = await db.sql<{ wait_ms: number; run_ms: number }[]>`
    select extract(epoch from started_at - created_at)::float8 * 1000 as wait_ms,
           extract(epoch from completed_at - started_at)::float8 * 1000 as run_ms
    from jobs where id = any(${measured}::uuid[])`;
  if (rows.length !== JOBS) throw new Error(`expected ${JOBS} measured jobs, found ${rows.length}`);
  const wait = ascending(rows.map((r) => r.wait_ms));
  const run = ascending(rows.map((r) => r.run_ms));
  const p50 = percentile(wait, 50);
  const p99 = percentile(wait, 99);
  console.log(`enqueue → RUNNING over ${JOBS} jobs: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${wait[wait.length - 1]?.toFixed(2)} ms`);

  await saveFigure(
    'latency',
    [
      { figure: 'enqueue → RUNNING p50, idle pool', callgate: fmt.ms(p50), baseline: '—', ratio: '—', target: `< ${TARGET_P50_MS} ms`, met: p50 < TARGET_P50_MS },
      { figure: 'enqueue → RUNNING p99, idle pool', callgate: fmt.ms(p99), baseline: '—', ratio: '—', target: `< ${TARGET_P99_MS} ms`, met: p99 < TARGET_P99_MS },
    ],
    {
      machine,
      jobs: JOBS,
      concurrency: CONCURRENCY,
      enqueueToRunningMs: { p50, p90: percentile(wait, 90), p99, max: wait[wait.length - 1] },
      runningToSucceededMs: { p50: percentile(run, 50), p99: percentile(run, 99) },
    },
  );
});
