// failingServices: the operations whose calls failed at least `minFailures` times in a window
// ending now, with the failure rate and the most recent distinct error messages: where ops look
// first in an incident. Failures are failed calls (attempts), so a job retried three times counts three.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectRows } from '../db/rows';
import { IS_CALL } from './call-outcomes';
import { jobOf } from './stats';

/** Below 10 failed calls in the window an operation is noisy rather than failing (GraphQL and CLI). */
export const DEFAULT_MIN_FAILURES = 10;

interface FailingScope {
  tenantId: string;
  windowMs: number;
  minFailures: number;
  /** Distinct error messages kept per operation. @default 5 */
  errorLimit?: number;
}

export interface FailingOperation {
  service: string;
  operation: string;
  failures: number;
  calls: number;
  /** failures / calls in the window. */
  failureRate: number;
  lastFailureAt: Date;
  /** Distinct error messages, the most recently seen first. */
  recentErrors: string[];
}

/** Enough to tell one outage from several; more would bury the page. */
const DEFAULT_ERROR_LIMIT = 5;

interface Row extends Record<string, unknown> {
  service: string;
  operation: string;
  failures: number;
  calls: number;
  last_failure_ms: number;
  recent_errors: string[];
}

/** The statement, exported so the benchmark can EXPLAIN it. */
export function failingServicesStatement(s: FailingScope): SQL {
  return sql`
    with calls as (
      select j.service, j.operation, a.outcome, a.error, a.finished_at
      from job_attempts a cross join lateral (${jobOf(sql`j.tenant_id = ${s.tenantId}`)}) j
      where a.finished_at >= now() - make_interval(secs => ${s.windowMs / 1000}) and ${IS_CALL}
    ), failing as (
      select service, operation,
        count(*) filter (where outcome <> 'success')::int as failures, count(*)::int as calls,
        max(finished_at) filter (where outcome <> 'success') as last_failure_at
      from calls group by service, operation
      having count(*) filter (where outcome <> 'success') >= ${s.minFailures}
    ), errors as materialized (
      -- Materialized: inlined into the per-operation subquery below it would be recomputed for
      -- every failing operation (40 operations took 450 ms at 17,000 calls an hour).
      select c.service, c.operation, c.error, max(c.finished_at) as last_seen,
        row_number() over (partition by c.service, c.operation order by max(c.finished_at) desc, c.error) as n
      from calls c join failing f on f.service = c.service and f.operation = c.operation
      where c.outcome <> 'success' and c.error is not null
      group by c.service, c.operation, c.error
    )
    select f.service, f.operation, f.failures, f.calls,
      (extract(epoch from f.last_failure_at) * 1000)::float8 as last_failure_ms,
      coalesce((select array_agg(e.error order by e.n) from errors e
        where e.service = f.service and e.operation = f.operation and e.n <= ${s.errorLimit ?? DEFAULT_ERROR_LIMIT}), '{}')::text[]
        as recent_errors
    from failing f
    order by f.failures desc, f.service, f.operation`;
}

export async function failingServices(db: Db, scope: FailingScope): Promise<FailingOperation[]> {
  const rows = await selectRows<Row>(db, failingServicesStatement(scope));
  return rows.map((r) => ({
    service: r.service,
    operation: r.operation,
    failures: r.failures,
    calls: r.calls,
    failureRate: r.failures / r.calls,
    lastFailureAt: new Date(r.last_failure_ms),
    recentErrors: r.recent_errors,
  }));
}
