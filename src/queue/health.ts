// queueHealth: the queue as it is now, for one tenant: unfinished jobs by status, due against
// scheduled, the oldest due job's wait, running jobs per instance, and the instances themselves
// from their heartbeats. Finished jobs are history (jobStats counts them per window); counting the
// millions of them on every refresh would not fit the 50 ms this query has.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectRows } from '../db/rows';
import { IS_LIVE } from '../db/schema';
import { INSTANCE_STALE_MS, listInstances, type InstanceStatus } from './instances';

export interface LiveJobCounts {
  /** due + scheduled. */
  pending: number;
  /** Pending with run_at reached: waiting for a free worker. */
  due: number;
  /** Pending with run_at ahead: retries after a backoff, put-backs, jobs sent with a later runAt. */
  scheduled: number;
  /** Scheduled jobs that have been tried before. */
  scheduledRetries: number;
  running: number;
  waitingCallback: number;
  /** How long the oldest due job has been due; null when none is. */
  oldestDueAgeMs: number | null;
}

export interface QueueHealth extends LiveJobCounts {
  runningByInstance: { instance: string; running: number }[];
  instances: InstanceStatus[];
  liveInstances: number;
}

/**
 * One scan of the unfinished rows through jobs_live_idx (the query repeats its predicate): the
 * tenant's for `queue`, every tenant's (tenantId undefined) for the /metrics gauges.
 */
export function liveJobCountsStatement(tenantId: string | undefined): SQL {
  return sql`
    select
      count(*) filter (where status = 'pending')::int as "pending",
      count(*) filter (where status = 'pending' and run_at <= now())::int as "due",
      count(*) filter (where status = 'pending' and run_at > now())::int as "scheduled",
      count(*) filter (where status = 'pending' and run_at > now() and attempts > 0)::int as "scheduledRetries",
      count(*) filter (where status = 'running')::int as "running",
      count(*) filter (where status = 'waiting_callback')::int as "waitingCallback",
      (extract(epoch from now() - min(run_at) filter (where status = 'pending' and run_at <= now())) * 1000)::float8
        as "oldestDueAgeMs"
    from jobs where ${tenantId === undefined ? sql`true` : sql`tenant_id = ${tenantId}`} and ${IS_LIVE}`;
}

export async function countLiveJobs(db: Db, tenantId: string | undefined): Promise<LiveJobCounts> {
  const [row] = await selectRows<Record<keyof LiveJobCounts, number>>(db, liveJobCountsStatement(tenantId));
  return row!;
}

/** Running jobs by the instance holding them (jobs.locked_by). */
async function countRunningByInstance(db: Db, tenantId: string): Promise<QueueHealth['runningByInstance']> {
  return selectRows(
    db,
    sql`
      select locked_by as "instance", count(*)::int as "running"
      from jobs where tenant_id = ${tenantId} and status = 'running' and locked_by is not null
      group by locked_by order by locked_by`,
  );
}

export async function queueHealth(db: Db, opts: { tenantId: string; staleAfterMs?: number }): Promise<QueueHealth> {
  const [counts, runningByInstance, instances] = await Promise.all([
    countLiveJobs(db, opts.tenantId),
    countRunningByInstance(db, opts.tenantId),
    listInstances(db, opts.staleAfterMs ?? INSTANCE_STALE_MS),
  ]);
  return { ...counts, runningByInstance, instances, liveInstances: instances.filter((i) => i.live).length };
}
