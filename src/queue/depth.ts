// readQueueDepth: the unfinished jobs of every tenant per status and the age of the oldest due
// pending job, read by each /metrics scrape. Finished jobs are counted by the finished counters.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectRows } from '../db/rows';
import { IS_LIVE } from '../db/schema';

export interface QueueDepth {
  pending: number;
  running: number;
  waitingCallback: number;
  /** Seconds since the oldest pending job became due; 0 when none is due. */
  oldestDuePendingAgeSeconds: number;
}

/**
 * One scan of jobs_live_idx (the query repeats its predicate, IS_LIVE), so a scrape reads the few
 * unfinished rows, never the millions of finished ones. Unlike queueHealth, across all tenants.
 */
export async function readQueueDepth(db: Db): Promise<QueueDepth> {
  const [row] = await selectRows<Record<keyof QueueDepth, number>>(
    db,
    sql`
      select
        count(*) filter (where status = 'pending')::int as "pending",
        count(*) filter (where status = 'running')::int as "running",
        count(*) filter (where status = 'waiting_callback')::int as "waitingCallback",
        coalesce(extract(epoch from now() - min(run_at) filter (where status = 'pending' and run_at <= now())), 0)::float8
          as "oldestDuePendingAgeSeconds"
      from jobs where ${IS_LIVE}`,
  );
  return row!;
}
