// jobStats: per service and operation over a window ending now, for ops (GraphQL jobStats, the
// CLI's `jobs stats`). Each figure counts the rows whose own event fell in the window: jobs
// created (counts per status), jobs finished (success rate, attempts, throughput), calls made
// (durations). Each part reads only its window through an index, so a 1 h window costs the same
// with a million older jobs in the table.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectRows } from '../db/rows';
import { IS_FINAL, type JobStatus } from '../db/schema';
import { IS_CALL } from './call-outcomes';

/** The stats window when none is given (GraphQL and CLI alike): the last hour. */
export const DEFAULT_STATS_WINDOW_MS = 3_600_000;

interface StatsScope {
  tenantId: string;
  windowMs: number;
  service?: string | undefined;
  operation?: string | undefined;
}

export interface JobStat {
  service: string;
  operation: string;
  /** Jobs created in the window, by the status they have now. */
  created: number;
  byStatus: Record<JobStatus, number>;
  /** Jobs that reached a final status in the window. */
  finished: number;
  succeeded: number;
  /** succeeded / finished; null when none finished. */
  successRate: number | null;
  /** Average attempts of the jobs finished in the window; null when none finished. */
  attemptsPerFinishedJob: number | null;
  /** finished per minute of the window. */
  throughputPerMinute: number;
  /** Calls to the upstream that ended in the window, and their durations; null without calls. */
  calls: number;
  durationMs: { avg: number; p50: number; p95: number; p99: number } | null;
  /** How long this operation's longest-waiting due pending job has been due; null when none is. */
  oldestPendingAgeMs: number | null;
}

interface Row extends Record<string, unknown> {
  service: string;
  operation: string;
  created: number;
  pending: number;
  running: number;
  succeeded_now: number;
  failed: number;
  cancelled: number;
  waiting_callback: number;
  timed_out: number;
  expired: number;
  finished: number;
  succeeded: number;
  attempts_per_job: number | null;
  calls: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  oldest_due_ms: number | null;
}

const MS_PER_MINUTE = 60_000;

/** The service/operation filter, for a query over `jobs` aliased `j`. */
function scopeOf(s: StatsScope): SQL {
  return sql`j.tenant_id = ${s.tenantId}
    ${s.service === undefined ? sql`` : sql`and j.service = ${s.service}`}
    ${s.operation === undefined ? sql`` : sql`and j.operation = ${s.operation}`}`;
}

/**
 * The job of attempt `a`, looked up by primary key, within the scope. `offset 0` keeps the planner
 * from turning this into a hash join: it estimates a window's attempts low and then reads all of
 * `jobs` (1M rows: 700 ms), where 17,000 key lookups take a few milliseconds.
 */
export function jobOf(scope: SQL): SQL {
  return sql`select j.service, j.operation from jobs j where j.id = a.job_id and ${scope} offset 0`;
}

/** The statement, exported so the benchmark can EXPLAIN it. */
export function jobStatsStatement(s: StatsScope): SQL {
  const scope = scopeOf(s);
  const since = sql`(now() - make_interval(secs => ${s.windowMs / 1000}))`;
  return sql`
    with created as (
      select j.service, j.operation, count(*)::int as created,
        count(*) filter (where j.status = 'pending')::int as pending,
        count(*) filter (where j.status = 'running')::int as running,
        count(*) filter (where j.status = 'succeeded')::int as succeeded_now,
        count(*) filter (where j.status = 'failed')::int as failed,
        count(*) filter (where j.status = 'cancelled')::int as cancelled,
        count(*) filter (where j.status = 'waiting_callback')::int as waiting_callback,
        count(*) filter (where j.status = 'timed_out')::int as timed_out,
        count(*) filter (where j.status = 'expired')::int as expired
      from jobs j where ${scope} and j.created_at >= ${since}
      group by j.service, j.operation
    ), finished as (
      select j.service, j.operation, count(*)::int as finished,
        count(*) filter (where j.status = 'succeeded')::int as succeeded,
        avg(j.attempts)::float8 as attempts_per_job
      from jobs j where ${scope} and j.completed_at >= ${since} and j.${IS_FINAL}
      group by j.service, j.operation
    ), calls as (
      select j.service, j.operation, count(*)::int as calls, avg(a.duration_ms)::float8 as avg_ms,
        percentile_cont(array[0.5, 0.95, 0.99]) within group (order by a.duration_ms) as pct
      from job_attempts a cross join lateral (${jobOf(scope)}) j
      where a.finished_at >= ${since} and ${IS_CALL}
      group by j.service, j.operation
    ), operations as (
      select service, operation from created
      union select service, operation from finished
      union select service, operation from calls
    )
    select o.service, o.operation,
      coalesce(c.created, 0) as created, coalesce(c.pending, 0) as pending, coalesce(c.running, 0) as running,
      coalesce(c.succeeded_now, 0) as succeeded_now, coalesce(c.failed, 0) as failed,
      coalesce(c.cancelled, 0) as cancelled, coalesce(c.waiting_callback, 0) as waiting_callback,
      coalesce(c.timed_out, 0) as timed_out, coalesce(c.expired, 0) as expired,
      coalesce(f.finished, 0) as finished, coalesce(f.succeeded, 0) as succeeded, f.attempts_per_job,
      coalesce(a.calls, 0) as calls, a.avg_ms,
      a.pct[1]::float8 as p50_ms, a.pct[2]::float8 as p95_ms, a.pct[3]::float8 as p99_ms,
      (select (extract(epoch from now() - min(p.run_at)) * 1000)::float8 from jobs p
        where p.tenant_id = ${s.tenantId} and p.status = 'pending' and p.service = o.service
          and p.operation = o.operation and p.run_at <= now()) as oldest_due_ms
    from operations o
    left join created c on c.service = o.service and c.operation = o.operation
    left join finished f on f.service = o.service and f.operation = o.operation
    left join calls a on a.service = o.service and a.operation = o.operation
    order by o.service, o.operation`;
}

export async function jobStats(db: Db, scope: StatsScope): Promise<JobStat[]> {
  const rows = await selectRows<Row>(db, jobStatsStatement(scope));
  return rows.map((r) => ({
    service: r.service,
    operation: r.operation,
    created: r.created,
    byStatus: {
      pending: r.pending,
      running: r.running,
      succeeded: r.succeeded_now,
      failed: r.failed,
      cancelled: r.cancelled,
      waiting_callback: r.waiting_callback,
      timed_out: r.timed_out,
      expired: r.expired,
    },
    finished: r.finished,
    succeeded: r.succeeded,
    successRate: r.finished > 0 ? r.succeeded / r.finished : null,
    attemptsPerFinishedJob: r.attempts_per_job,
    throughputPerMinute: r.finished / (scope.windowMs / MS_PER_MINUTE),
    calls: r.calls,
    durationMs:
      r.calls > 0 ? { avg: r.avg_ms ?? 0, p50: r.p50_ms ?? 0, p95: r.p95_ms ?? 0, p99: r.p99_ms ?? 0 } : null,
    oldestPendingAgeMs: r.oldest_due_ms,
  }));
}
