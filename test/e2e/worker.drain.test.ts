// SIGTERM drains: the instance stops claiming, calls that finish within the grace period (1 s)
// complete, the ones that do not are aborted and put back PENDING without using up an attempt, and
// the process exits 0. Another instance then runs what was left, the put-back calls included.
import { describe, expect, it } from 'vitest';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

const SLOW_JOBS = 2;
const QUICK_JOBS = 10;
/** Quick calls end well inside the 1 s grace; slow ones (20 s) cannot. */
const QUICK_MS = 300;
const SLOW_MS = 20_000;
/** Grace 1 s plus closing the server, the bus and the pool, with slack for two busy cores. */
const EXIT_BOUND_MS = 10_000;

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

interface JobState {
  id: string;
  operation: 'quick' | 'slow';
  status: string;
  attempts: number;
  locked_by: string | null;
  last_error: string | null;
  idempotency_key: string;
}
interface AttemptState {
  job_id: string;
  attempt: number;
  outcome: string;
}

describe.skipIf(!hasPgServer())(`draining on SIGTERM${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('drain');
  const start = (instanceId: string, servicesFile: string) =>
    f.start(instanceId, servicesFile, { WORKER_CONCURRENCY: '4', CALLGATE_DRAIN_GRACE_MS: '1000' });
  const readJobs = () =>
    f.sql<JobState[]>`select id, operation, status, attempts, locked_by, last_error, idempotency_key from jobs order by run_at`;
  const readAttempts = () => f.sql<AttemptState[]>`select job_id, attempt, outcome from job_attempts order by id`;

  it('finishes calls within the grace, puts the rest back PENDING with their attempt, exits 0', async () => {
    const servicesFile = await f.writeServices(`
services:
  - name: shop
    kind: http
    baseUrl: ${f.upstream.url}
    retry: { maxAttempts: 3 }
    operations:
      - name: quick
        path: /quick
        timeoutMs: 5000
      - name: slow
        path: /slow
        timeoutMs: 30000
`);
    f.upstream.script('/quick', { status: 200, body: { ok: true }, delayMs: QUICK_MS });
    f.upstream.script('/slow', { status: 200, body: { ok: true }, delayMs: SLOW_MS });

    const first = await start('drain-1', servicesFile);
    // Slow jobs first: claimed first (run_at order), they hold two of the four slots until the end.
    const plan = [...Array<'slow'>(SLOW_JOBS).fill('slow'), ...Array<'quick'>(QUICK_JOBS).fill('quick')];
    for (const [i, operation] of plan.entries()) {
      const res = await first.gql(CALL, { input: { service: 'shop', operation, input: { n: i }, idempotencyKey: `${operation}-${i}` } });
      expect(res.data?.callService, JSON.stringify(res)).toMatchObject({ __typename: 'CallServiceSuccess' });
    }
    const arrived = (path: string) => f.upstream.requests.filter((r) => r.path === path).length;
    await expect
      .poll(() => arrived('/slow') === SLOW_JOBS && arrived('/quick') >= 2, { timeout: 20_000, interval: 20 })
      .toBe(true);
    first.kill('SIGTERM');
    const termAt = Date.now();
    const calledBeforeTerm = new Set(f.upstream.requests.map((r) => r.headers['idempotency-key'] as string));
    const stopped = await first.exited;
    expect(stopped, first.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - termAt).toBeLessThan(EXIT_BOUND_MS);

    const calledByFirst = new Set(f.upstream.requests.map((r) => r.headers['idempotency-key'] as string));
    const jobs = await readJobs();
    const attempts = await readAttempts();
    expect(jobs).toHaveLength(SLOW_JOBS + QUICK_JOBS);
    for (const job of jobs) {
      expect(['succeeded', 'pending'], job.id).toContain(job.status);
      expect(job.locked_by, job.id).toBeNull();
    }
    // Quick calls in flight at SIGTERM finished within the grace.
    const quickInFlight = jobs.filter((j) => j.operation === 'quick' && calledBeforeTerm.has(j.idempotency_key));
    expect(quickInFlight.length).toBeGreaterThanOrEqual(2);
    for (const job of quickInFlight) expect(job.status, job.id).toBe('succeeded');
    // Slow calls were aborted after the grace: PENDING again, the attempt logged but given back.
    const slow = jobs.filter((j) => j.operation === 'slow');
    for (const job of slow) {
      expect(job, job.id).toMatchObject({ status: 'pending', attempts: 0, last_error: 'instance shut down during the call' });
      expect(attempts.filter((a) => a.job_id === job.id)).toEqual([{ job_id: job.id, attempt: 1, outcome: 'aborted' }]);
    }
    // Jobs never sent stayed PENDING, untouched: no claim after the drain began.
    const untouched = jobs.filter((j) => !calledByFirst.has(j.idempotency_key));
    expect(untouched.length).toBeGreaterThan(0);
    for (const job of untouched) expect(job, job.id).toMatchObject({ status: 'pending', attempts: 0 });
    expect(first.output()).toContain('"msg":"draining"');

    // The next instance runs everything left; the put-back calls now answer at once.
    f.upstream.script('/slow', { status: 200, body: { ok: true } });
    const second = await start('drain-2', servicesFile);
    await expect
      .poll(async () => (await readJobs()).filter((j) => j.status === 'succeeded').length, { timeout: 30_000, interval: 250 })
      .toBe(SLOW_JOBS + QUICK_JOBS);
    const after = await readAttempts();
    for (const job of slow) {
      expect(after.filter((a) => a.job_id === job.id).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'aborted'],
        [1, 'success'],
      ]);
    }
    expect(f.upstream.overlaps).toBe(0);

    second.kill('SIGTERM');
    expect(await second.exited, second.output()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
