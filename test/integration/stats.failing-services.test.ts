import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import { failingServices } from '../../src/queue';
import { useTestDatabase } from '../helpers/db';
import { HOUR, MINUTE, seedJobs, type SeedAttempt, type SeedJob } from '../helpers/stats-seed';

const t = useTestDatabase();
const MIN_FAILURES = 4;

/** One failed job per failed call, so that each call's time and error are ours to choose. */
function failures(service: string, calls: SeedAttempt[]): SeedJob[] {
  return calls.map((a) => ({ service, operation: 'op', status: 'failed', createdAgo: a.finishedAgo + MINUTE, completedAgo: a.finishedAgo, attempts: [a] }));
}
const failed = (finishedAgo: number, error: string): SeedAttempt => ({ outcome: 'http_error', durationMs: 10, finishedAgo, error });

beforeAll(async () => {
  await seedJobs(t.database.db, [
    // One short of the threshold in the window; the failures just outside it do not count.
    ...failures('almost', [1, 2, 3].map((m) => failed(m * MINUTE, 'HTTP 503'))),
    ...failures('almost', [failed(HOUR + MINUTE, 'HTTP 503'), failed(HOUR + 2 * MINUTE, 'HTTP 503')]),
    // Exactly at the threshold, with errors repeated: newest first, each once.
    ...failures('down', [failed(50 * MINUTE, 'old error'), failed(5 * MINUTE, 'HTTP 500'), failed(4 * MINUTE, 'timeout after 5000 ms')]),
    ...failures('down', [{ outcome: 'timeout', durationMs: 5_000, finishedAgo: 2 * MINUTE, error: 'HTTP 500' }]),
    // Calls that made no upstream call are neither failures nor calls.
    ...failures('down', [{ outcome: 'breaker_open', durationMs: 0, finishedAgo: MINUTE, error: 'breaker open' }]),
    { service: 'down', operation: 'op', status: 'succeeded', createdAgo: 20 * MINUTE, completedAgo: 20 * MINUTE, attempts: [{ outcome: 'success', durationMs: 5, finishedAgo: 20 * MINUTE }] },
    // Many distinct errors: only the five most recent are listed.
    ...failures('noisy', Array.from({ length: 8 }, (_, i) => failed((i + 1) * MINUTE, `error ${i + 1}`))),
  ]);
});

describe('failingServices', () => {
  it('lists operations with at least minFailures failed calls in the window', async () => {
    const failing = await failingServices(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, minFailures: MIN_FAILURES });
    expect(failing.map((f) => f.service)).toEqual(['noisy', 'down']);
    const down = failing[1]!;
    expect(down).toMatchObject({ operation: 'op', failures: 4, calls: 5, failureRate: 4 / 5 });
    expect(down.recentErrors).toEqual(['HTTP 500', 'timeout after 5000 ms', 'old error']);
    expect(Math.abs(down.lastFailureAt.getTime() - (Date.now() - 2 * MINUTE))).toBeLessThan(30_000);
  });

  it('keeps the five most recent distinct errors, newest first', async () => {
    const [noisy] = await failingServices(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, minFailures: MIN_FAILURES });
    expect(noisy).toMatchObject({ service: 'noisy', failures: 8, calls: 8, failureRate: 1 });
    expect(noisy!.recentErrors).toEqual(['error 1', 'error 2', 'error 3', 'error 4', 'error 5']);
  });

  it('counts a wider window and a lower threshold', async () => {
    const lower = await failingServices(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: HOUR, minFailures: MIN_FAILURES - 1 });
    expect(lower.map((f) => f.service).sort()).toEqual(['almost', 'down', 'noisy']);
    const wider = await failingServices(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: 2 * HOUR, minFailures: 5 });
    expect(wider.map((f) => `${f.service}:${f.failures}`)).toEqual(['noisy:8', 'almost:5']);
  });

  it('is empty for another tenant and for a quiet window', async () => {
    expect(await failingServices(t.database.db, { tenantId: '11111111-1111-1111-1111-111111111111', windowMs: HOUR, minFailures: 1 })).toEqual([]);
    expect(await failingServices(t.database.db, { tenantId: DEFAULT_TENANT_ID, windowMs: 30_000, minFailures: 1 })).toEqual([]);
  });
});
