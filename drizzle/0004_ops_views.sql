-- Hand-written: two views for ops at a psql prompt (DESIGN §3). The GraphQL fields jobStats and
-- failingServices (src/queue/stats.ts, failing.ts) compute the same figures for any window and
-- threshold; these views fix them at the GraphQL defaults. Durations count only attempts that
-- called the upstream (success, http_error, timeout, network_error, invalid_response): a
-- breaker_open put-back takes 0 ms and a lost lease its whole lease, neither is the upstream's time.
CREATE VIEW "v_job_stats" AS
SELECT j.tenant_id, j.service, j.operation, j.status,
  count(DISTINCT j.id)::int AS jobs,
  avg(a.duration_ms)::float8 AS avg_duration_ms,
  percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95_duration_ms
FROM jobs j
LEFT JOIN job_attempts a ON a.job_id = j.id
  AND a.outcome IN ('success', 'http_error', 'timeout', 'network_error', 'invalid_response')
GROUP BY j.tenant_id, j.service, j.operation, j.status;
--> statement-breakpoint
-- Operations with at least 10 failed calls in the last hour, with their 5 most recent distinct errors.
CREATE VIEW "v_failing_services" AS
WITH calls AS (
  SELECT j.tenant_id, j.service, j.operation, a.outcome, a.error, a.finished_at
  FROM job_attempts a JOIN jobs j ON j.id = a.job_id
  WHERE a.finished_at >= now() - interval '1 hour'
    AND a.outcome IN ('success', 'http_error', 'timeout', 'network_error', 'invalid_response')
), failing AS (
  SELECT tenant_id, service, operation,
    count(*) FILTER (WHERE outcome <> 'success')::int AS failures,
    count(*)::int AS calls,
    max(finished_at) FILTER (WHERE outcome <> 'success') AS last_failure_at
  FROM calls GROUP BY tenant_id, service, operation
  HAVING count(*) FILTER (WHERE outcome <> 'success') >= 10
), errors AS (
  SELECT tenant_id, service, operation, error, max(finished_at) AS last_seen,
    row_number() OVER (PARTITION BY tenant_id, service, operation ORDER BY max(finished_at) DESC, error) AS n
  FROM calls WHERE outcome <> 'success' AND error IS NOT NULL
  GROUP BY tenant_id, service, operation, error
)
SELECT f.tenant_id, f.service, f.operation, f.failures, f.calls,
  f.failures::float8 / f.calls AS failure_rate, f.last_failure_at,
  coalesce((SELECT array_agg(e.error ORDER BY e.last_seen DESC, e.error) FROM errors e
    WHERE e.tenant_id = f.tenant_id AND e.service = f.service AND e.operation = f.operation AND e.n <= 5), '{}') AS recent_errors
FROM failing f;
