import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, tenants, type AttemptOutcome } from '../../src/db/schema';
import { CALL_OUTCOMES } from '../../src/queue/call-outcomes';
import { jobStats } from '../../src/queue';
import { useTestDatabase } from '../helpers/db';
import { HOUR, MINUTE, percentileCont, seedJobs, type SeedJob } from '../helpers/stats-seed';

const t = useTestDatabase();
const OTHER_TENANT = '11111111-1111-1111-1111-111111111111';

const call = (durationMs: number, finishedAgo: number, outcome: AttemptOutcome = 'success') => ({
  outcome,
  durationMs,
  finishedAgo,
});

// pay/charge: busy in the last hour; mail/send: only older activity; the other tenant's job is
// as recent as the rest and must never be counted.
const SEEDS: SeedJob[] = [
  { service: 'pay', operation: 'charge', status: 'succeeded', createdAgo: 10 * MINUTE, completedAgo: 9 * MINUTE, attempts: [call(120, 9 * MINUTE)] },
  {
    service: 'pay',
    operation: 'charge',
    status: 'succeeded',
    createdAgo: 20 * MINUTE,
    completedAgo: 15 * MINUTE,
    attempts: [call(35, 19 * MINUTE, 'http_error'), call(0, 18 * MINUTE, 'breaker_open'), call(48, 15 * MINUTE)],
  },
  {
    service: 'pay',
    operation: 'charge',
    status: 'failed',
    createdAgo: 30 * MINUTE,
    completedAgo: 25 * MINUTE,
    attempts: [call(5_000, 29 * MINUTE, 'timeout'), call(250, 27 * MINUTE, 'http_error'), call(17, 25 * MINUTE, 'network_error')],
  },
  // Created before the window, finished inside it: a finished job, not a created one; its first call is outside.
  {
    service: 'pay',
    operation: 'charge',
    status: 'succeeded',
    createdAgo: 2 * HOUR,
    completedAgo: 40 * MINUTE,
    attempts: [call(99_999, 2 * HOUR - MINUTE, 'timeout'), call(77, 40 * MINUTE)],
  },
  { service: 'pay', operation: 'charge', status: 'pending', createdAgo: 12 * MINUTE, runAtAgo: 11 * MINUTE },
  { service: 'pay', operation: 'charge', status: 'pending', createdAgo: 3 * MINUTE, runAtAgo: -10 * MINUTE },
  { service: 'pay', operation: 'charge', status: 'running', createdAgo: 1 * MINUTE, lockedBy: 'w1', attempts: [] },
  { service: 'pay', operation: 'refund', status: 'cancelled', createdAgo: 5 * MINUTE, completedAgo: 4 * MINUTE },
  { service: 'mail', operation: 'send', status: 'succeeded', createdAgo: 3 * HOUR, completedAgo: 2 * HOUR, attempts: [call(300, 2 * HOUR)] },
  { tenantId: OTHER_TENANT, service: 'pay', operation: 'charge', status: 'failed', createdAgo: 5 * MINUTE, completedAgo: 4 * MINUTE, attempts: [call(1, 4 * MINUTE, 'http_error')] },
];

beforeAll(async () => {
  await t.database.db.insert(tenants).values({ id: OTHER_TENANT, name: 'other' });
  await seedJobs(t.database.db, SEEDS);
});

/** What jobStats should say for one operation, computed from SEEDS alone. */
function expected(service: string, operation: string, windowMs: number) {
  const mine = SEEDS.filter((s) => !s.tenantId && s.service === service && s.operation === operation);
  const created = mine.filter((s) => s.createdAgo <= windowMs);
  const finished = mine.filter((s) => s.completedAgo !== undefined && s.completedAgo <= windowMs);
  const calls = mine
    .flatMap((s) => s.attempts ?? [])
    .filter((a) => a.finishedAgo <= windowMs && (CALL_OUTCOMES as readonly string[]).includes(a.outcome))
    .map((a) => a.durationMs);
  const succeeded = finished.filter((s) => s.status === 'succeeded').length;
  return {
    created: created.length,
    byStatus: (status: string) => created.filter((s) => s.status === status).length,
    finished: finished.length,
    succeeded,
    successRate: succeeded / finished.length,
    attemptsPerFinishedJob: finished.reduce((n, s) => n + (s.attempts?.length ?? 0), 0) / finished.length,
    throughputPerMinute: finished.length / (windowMs / MINUTE),
    calls,
  };
}

describe('jobStats', () => {
  it('returns exactly the counts, rates and percentiles of the window', async () => {
    const stats = await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR });
    expect(stats.map((s) => `${s.service}/${s.operation}`)).toEqual(['pay/charge', 'pay/refund']);
    const charge = stats[0]!;
    const want = expected('pay', 'charge', HOUR);
    expect(charge.created).toBe(want.created);
    expect(charge.created).toBe(6);
    for (const status of ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'waiting_callback', 'timed_out', 'expired'] as const) {
      expect(charge.byStatus[status], status).toBe(want.byStatus(status));
    }
    expect(charge).toMatchObject({ finished: want.finished, succeeded: want.succeeded, calls: want.calls.length });
    expect(charge.finished).toBe(4);
    expect(charge.successRate).toBeCloseTo(want.successRate, 10);
    expect(charge.attemptsPerFinishedJob).toBeCloseTo(want.attemptsPerFinishedJob, 10);
    expect(charge.throughputPerMinute).toBeCloseTo(want.throughputPerMinute, 10);
    // Seven calls: the breaker_open put-back and the call before the window are left out.
    expect(want.calls).toHaveLength(7);
    const avg = want.calls.reduce((a, b) => a + b, 0) / want.calls.length;
    expect(charge.durationMs?.avg).toBeCloseTo(avg, 6);
    expect(charge.durationMs?.p50).toBeCloseTo(percentileCont(want.calls, 0.5), 6);
    expect(charge.durationMs?.p95).toBeCloseTo(percentileCont(want.calls, 0.95), 6);
    expect(charge.durationMs?.p99).toBeCloseTo(percentileCont(want.calls, 0.99), 6);
    // The due pending job has waited 11 minutes; the scheduled one is not due yet.
    expect(charge.oldestPendingAgeMs).toBeGreaterThanOrEqual(11 * MINUTE - 1_000);
    expect(charge.oldestPendingAgeMs).toBeLessThan(11 * MINUTE + 30_000);

    const refund = stats[1]!;
    expect(refund).toMatchObject({ created: 1, finished: 1, succeeded: 0, successRate: 0, calls: 0, durationMs: null, oldestPendingAgeMs: null });
    expect(refund.byStatus.cancelled).toBe(1);
  });

  it('widens with the window', async () => {
    const stats = await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: 7 * 24 * HOUR });
    expect(stats.map((s) => `${s.service}/${s.operation}`)).toEqual(['mail/send', 'pay/charge', 'pay/refund']);
    const charge = stats[1]!;
    const want = expected('pay', 'charge', 7 * 24 * HOUR);
    expect(charge).toMatchObject({ created: want.created, finished: want.finished, calls: want.calls.length });
    expect(charge.durationMs?.p99).toBeCloseTo(percentileCont(want.calls, 0.99), 6);
    expect(stats[0]).toMatchObject({ created: 1, finished: 1, succeeded: 1, successRate: 1, calls: 1 });
  });

  it('filters by service and operation', async () => {
    const byService = await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, service: 'pay' });
    expect(byService.map((s) => s.operation)).toEqual(['charge', 'refund']);
    const byOperation = await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, service: 'pay', operation: 'refund' });
    expect(byOperation.map((s) => s.operation)).toEqual(['refund']);
    expect(await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, service: 'mail' })).toEqual([]);
  });

  it('counts only the tenant asked for', async () => {
    const other = await jobStats(t.database.db, { tenantId: OTHER_TENANT, windowMs: HOUR });
    expect(other).toMatchObject([{ service: 'pay', operation: 'charge', created: 1, finished: 1, succeeded: 0, calls: 1 }]);
  });

  it('returns an empty list for an empty window', async () => {
    expect(await jobStats(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: 30_000 })).toEqual([]);
  });
});
