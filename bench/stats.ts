// Figure 4, ops queries at volume: 1,000,000 jobs over 7 days (the default retention) and
// 3,000,000 attempts, seeded with set-based inserts; then jobStats and failingServices over a
// 1 h window and queue, each the median of several runs through the same functions GraphQL
// calls, with EXPLAIN checked for sequential scans of jobs or job_attempts. Absolute: no baseline.
import { sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client';
import { selectRows } from '../src/db/rows';
import { DEFAULT_TENANT_ID } from '../src/db/schema';
import { failingServices, failingServicesStatement, jobStats, jobStatsStatement, liveJobCountsStatement, queueHealth } from '../src/queue';
import { boundedNumber, createBenchDatabase, describeMachine, fmt, onCleanup, runFigure, saveFigure, type Sql } from './harness';

const JOBS = boundedNumber(process.env.BENCH_STATS_JOBS, 1_000_000, 10_000, 10_000_000);
/** Attempts per job: 3,000,000 for the default million. */
const ATTEMPTS_PER_JOB = 3;
/** Jobs spread evenly over this span, newest first: about 6,000 jobs and 18,000 attempts an hour. */
const SPAN_DAYS = 7;
/** The newest 0.5 % are unfinished: pending due, pending scheduled as retries, running on 4 instances. */
const UNFINISHED_SHARE = 0.005;
/** Inserted in chunks, so progress shows and no one transaction holds a million rows' locks. */
const CHUNKS = 4;
const WARMUP_RUNS = 2;
const RUNS = 9;
const WINDOW_MS = 3_600_000;
const TARGET_STATS_MS = 200;
const TARGET_QUEUE_MS = 50;

runFigure(async () => {
  const bench = await createBenchDatabase();
  const machine = await describeMachine(bench.sql);
  const seedStarted = performance.now();
  await seed(bench.sql);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  console.log(`seeded ${JOBS.toLocaleString('en-US')} jobs and ${(JOBS * ATTEMPTS_PER_JOB).toLocaleString('en-US')} attempts in ${seedSeconds.toFixed(0)} s`);

  const database = await openDatabase({ url: bench.url, maxConnections: 4 });
  onCleanup(() => database.close());
  const db = database.db;
  const scope = { tenantId: DEFAULT_TENANT_ID, windowMs: WINDOW_MS };
  const failingScope = { ...scope, minFailures: 10 };

  const plans = {
    jobStats: await plan(db, jobStatsStatement(scope)),
    failingServices: await plan(db, failingServicesStatement(failingScope)),
    queue: await plan(db, liveJobCountsStatement(DEFAULT_TENANT_ID)),
  };
  for (const [name, p] of Object.entries(plans)) {
    console.log(`${name}: ${p.indexes.join(', ')}${p.seqScans.length ? `; SEQUENTIAL SCANS: ${p.seqScans.join(', ')}` : ''}`);
  }

  const stats = await time(() => jobStats(db, scope));
  const failing = await time(() => failingServices(db, failingScope));
  const queue = await time(() => queueHealth(db, { tenantId: DEFAULT_TENANT_ID }));
  const window = await jobStats(db, scope);
  const inWindow = window.reduce((n, s) => n + s.calls, 0);
  console.log(`1 h window: ${window.length} operations, ${inWindow} calls; failing: ${(await failingServices(db, failingScope)).length}`);

  const indexed = (p: { seqScans: string[] }) => (p.seqScans.length === 0 ? 'indexes only' : `seq scan of ${p.seqScans.join(', ')}`);
  const volume = `${(JOBS / 1e6).toLocaleString('en-US')}M jobs, ${((JOBS * ATTEMPTS_PER_JOB) / 1e6).toLocaleString('en-US')}M attempts`;
  await saveFigure(
    'stats',
    [
      row(`jobStats, 1 h window (${volume})`, stats.median, indexed(plans.jobStats), TARGET_STATS_MS, plans.jobStats.seqScans),
      row(`failingServices, 1 h window (${volume})`, failing.median, indexed(plans.failingServices), TARGET_STATS_MS, plans.failingServices.seqScans),
      row(`queue (${volume})`, queue.median, indexed(plans.queue), TARGET_QUEUE_MS, plans.queue.seqScans),
    ],
    {
      machine,
      jobs: JOBS,
      attempts: JOBS * ATTEMPTS_PER_JOB,
      spanDays: SPAN_DAYS,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      callsInWindow: inWindow,
      runsMs: { jobStats: stats.runs, failingServices: failing.runs, queue: queue.runs },
      plans,
    },
  );
});

function row(figure: string, ms: number, plan: string, targetMs: number, seqScans: string[]) {
  return { figure, callgate: `${fmt.ms(ms)} (median of ${RUNS})`, baseline: plan, ratio: '—', target: `< ${targetMs} ms`, met: ms < targetMs && seqScans.length === 0 };
}

async function time(run: () => Promise<unknown>): Promise<{ median: number; runs: number[] }> {
  for (let i = 0; i < WARMUP_RUNS; i++) await run();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const at = performance.now();
    await run();
    runs.push(Number((performance.now() - at).toFixed(2)));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, runs };
}

/** The indexes a statement's plan read, and the big tables it scanned whole. */
async function plan(db: Parameters<typeof selectRows>[0], statement: ReturnType<typeof sql>) {
  // ANALYZE, so that the JSON shows where the time goes, node by node.
  const rows = await selectRows<{ 'QUERY PLAN': string }>(db, sql`explain (analyze, buffers) ${statement}`);
  const text = rows.map((r) => r['QUERY PLAN']).join('\n');
  const indexes = [...new Set([...text.matchAll(/(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)/g)].map((m) => m[1]!))];
  const seqScans = [...new Set([...text.matchAll(/Seq Scan on (jobs|job_attempts)\b/g)].map((m) => m[1]!))];
  return { indexes, seqScans, text };
}

/**
 * Set-based inserts, triggers off (session_replication_role = replica): the NOTIFY trigger would
 * queue a million notifications and the foreign-key checks triple the attempt insert's time.
 */
async function seed(sql: Sql): Promise<void> {
  const unfinished = Math.round(JOBS * UNFINISHED_SHARE);
  const spanSeconds = SPAN_DAYS * 86_400;
  const perChunk = Math.ceil(JOBS / CHUNKS);
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const from = chunk * perChunk + 1;
    const to = Math.min(JOBS, (chunk + 1) * perChunk);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into jobs (tenant_id, service, operation, input, status, run_at, attempts, max_attempts,
                          locked_by, locked_until, created_at, started_at, completed_at, updated_at, last_error)
        select ${DEFAULT_TENANT_ID}::uuid, 'service' || (g % 10), 'op' || (g / 10 % 4), jsonb_build_object('n', g), s.status,
          case when s.status = 'pending' and g % 4 = 2 then now() + interval '5 minutes' else c.at end,
          case when s.status = 'pending' and g % 4 <> 2 then 0 else ${ATTEMPTS_PER_JOB}::int end, 5,
          case when s.status = 'running' then 'bench-' || (g % 4) end,
          case when s.status = 'running' then now() + interval '1 minute' end,
          c.at, c.at, case when s.final then c.at + interval '3 seconds' end, c.at,
          case when s.status = 'failed' then 'HTTP 503' end
        from generate_series(${from}::int, ${to}::int) g
        cross join lateral (select now() - make_interval(secs => g::float8 * ${spanSeconds} / ${JOBS}) as at) c
        cross join lateral (
          select st::job_status as status, st not in ('pending', 'running') as final
          from (select case
            when g <= ${unfinished} then case when g % 4 = 3 then 'running' else 'pending' end
            when g % 20 = 0 then 'failed' when g % 50 = 1 then 'cancelled' else 'succeeded' end as st) x
        ) s`;
    });
    console.log(`jobs: ${to.toLocaleString('en-US')}`);
  }
  for (let n = 1; n <= ATTEMPTS_PER_JOB; n++) {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into job_attempts (job_id, attempt, started_at, finished_at, duration_ms, outcome, http_status, error)
        select j.id, ${n}::int, f.at - make_interval(secs => d.ms / 1000.0), f.at, d.ms, o.outcome::attempt_outcome,
          case when o.outcome = 'success' then 200 when o.outcome = 'http_error' then 503 end,
          case when o.outcome <> 'success' then 'upstream error ' || (abs(hashtext(j.id::text)) % 7) end
        from jobs j
        cross join lateral (select j.created_at + make_interval(secs => ${n}::int) as at) f
        cross join lateral (select (abs(hashtext(j.id::text || ${n}::int)) % 2000)::int as ms) d
        cross join lateral (select case
          when ${n}::int = ${ATTEMPTS_PER_JOB}::int and j.status = 'succeeded' then 'success'
          else (array['http_error', 'timeout', 'network_error'])[1 + d.ms % 3] end as outcome) o`;
    });
    console.log(`attempts: ${(n * JOBS).toLocaleString('en-US')}`);
  }
  await sql`vacuum analyze jobs`;
  await sql`vacuum analyze job_attempts`;
}
