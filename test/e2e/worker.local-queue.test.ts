// The local queue on real PostgreSQL: an instance running short calls two at a time claims a few
// jobs ahead. SIGTERM releases those at once, unsent: PENDING again with their attempt given back
// and no attempt row, never requested from the upstream, while the calls in flight finish within
// the grace. Nothing is left RUNNING, and another instance then runs the released jobs.
import { describe, expect, it } from 'vitest';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

const JOBS = 40;
const CALL_MS = 100;

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

describe.skipIf(!hasPgServer())(`jobs waiting in the local queue at SIGTERM${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('local-queue');

  it('are released unsent, with their attempt given back, and run later by another instance', async () => {
    const servicesFile = await f.writeServices(`
services:
  - name: shop
    kind: http
    baseUrl: ${f.upstream.url}
    operations:
      - name: quick
        path: /quick
        timeoutMs: 5000
`);
    f.upstream.script('/quick', { status: 200, body: { ok: true }, delayMs: CALL_MS });
    const first = await f.start('queue-1', servicesFile, { WORKER_CONCURRENCY: '2', CALLGATE_DRAIN_GRACE_MS: '5000' });
    for (let i = 0; i < JOBS; i++) {
      const res = await first.gql(CALL, { input: { service: 'shop', operation: 'quick', input: { n: i }, idempotencyKey: `q-${i}` } });
      expect(res.data?.callService, JSON.stringify(res)).toMatchObject({ __typename: 'CallServiceSuccess' });
    }
    // Calls ending every 50 ms or so: the pool now claims ahead of its two slots.
    await expect.poll(() => f.upstream.requests.length, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(8);
    first.kill('SIGTERM');
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });

    const sent = new Set(f.upstream.requests.map((r) => r.headers['idempotency-key'] as string));
    const jobs = await f.sql<{ id: string; key: string; status: string; attempts: number; last_error: string | null }[]>`
      select id, idempotency_key as key, status, attempts, last_error from jobs`;
    expect(jobs.filter((j) => j.status === 'running')).toEqual([]);
    const released = jobs.filter((j) => j.last_error === 'released unsent: stopping');
    expect(released.length, 'jobs were waiting in the local queue').toBeGreaterThan(0);
    const attempted = new Set((await f.sql<{ job_id: string }[]>`select job_id from job_attempts`).map((r) => r.job_id));
    for (const j of released) {
      expect(sent.has(j.key), j.key).toBe(false);
      expect(j).toMatchObject({ status: 'pending', attempts: 0 });
      expect(attempted.has(j.id), j.key).toBe(false);
    }
    // Every job the first instance sent was written as it ended.
    for (const j of jobs.filter((j) => sent.has(j.key))) expect(j.status, j.key).toBe('succeeded');

    const second = await f.start('queue-2', servicesFile, { WORKER_CONCURRENCY: '4' });
    await expect
      .poll(async () => (await f.sql<{ n: number }[]>`select count(*)::int as n from jobs where status = 'succeeded'`)[0]!.n, { timeout: 30_000, interval: 100 })
      .toBe(JOBS);
    second.kill('SIGTERM');
    expect(await second.exited, second.output()).toEqual({ code: 0, signal: null });
  }, 90_000);
});
