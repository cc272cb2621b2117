// Batched completions and a crash: instance A makes every call, but its completions wait to be
// written together (CALLGATE_COMPLETION_BATCH_MS far longer than the calls) when it is SIGKILLed.
// Nothing is lost: instance B takes the jobs back once their leases (timeout 2 s + 5 s margin) run
// out and runs each to SUCCEEDED; every job was called at least once, none is left RUNNING, and the
// attempt log has one row per claim (A's as `lost`, B's success), no duplicates.
import { describe, expect, it } from 'vitest';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

const JOBS = 12;
const CALL_MS = 50;
const APP_NAME = 'callgate-test-batch-crash';

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

describe.skipIf(!hasPgServer())(`completions waiting to be flushed at a crash${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('batch-crash', APP_NAME);

  it('lose no job: recovered by lease expiry, each called at least once, none left RUNNING, no duplicate attempt rows', async () => {
    const servicesFile = await f.writeServices(`
services:
  - name: ledger
    kind: http
    baseUrl: ${f.upstream.url}
    timeoutMs: 2000
    retry: { maxAttempts: 5 }
    operations:
      - name: post
        method: POST
        path: /entries
        timeoutMs: 2000
`);
    f.upstream.script('/entries', { status: 200, body: { ok: true }, delayMs: CALL_MS });
    // The first completion waits 10 s for others: far past the moment A is killed.
    const a = await f.start('A', servicesFile, { WORKER_CONCURRENCY: String(JOBS), CALLGATE_COMPLETION_BATCH_MS: '10000' });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const res = await a.gql(CALL, { input: { service: 'ledger', operation: 'post', input: { n: i }, idempotencyKey: `entry-${i}` } });
      expect(res.data?.callService, JSON.stringify(res)).toMatchObject({ __typename: 'CallServiceSuccess' });
      ids.push(res.data!.callService.job.id);
    }
    // Every call was made and answered; every completion is waiting in A's batch.
    await expect.poll(() => new Set(f.upstream.requests.map((r) => r.headers['idempotency-key'])).size, { timeout: 20_000, interval: 20 }).toBe(JOBS);
    await new Promise((r) => setTimeout(r, CALL_MS * 4));
    a.kill('SIGKILL');
    expect(await a.exited).toMatchObject({ signal: 'SIGKILL' });
    const [unwritten] = await f.sql<{ running: number; attempts: number }[]>`
      select (select count(*)::int from jobs where status = 'running' and locked_by = 'A') as running,
             (select count(*)::int from job_attempts) as attempts`;
    expect(unwritten, 'A was killed with its completions unwritten').toEqual({ running: JOBS, attempts: 0 });

    const b = await f.start('B', servicesFile, { WORKER_CONCURRENCY: '4', CALLGATE_SWEEP_INTERVAL_MS: '500' });
    await expect
      .poll(async () => (await f.sql<{ n: number }[]>`select count(*)::int as n from jobs where status = 'succeeded'`)[0]!.n, { timeout: 40_000, interval: 250 })
      .toBe(JOBS);
    const byStatus = await f.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from jobs group by status`;
    expect(byStatus).toEqual([{ status: 'succeeded', n: JOBS }]);
    for (let i = 0; i < JOBS; i++) {
      expect(f.upstream.requests.filter((r) => r.headers['idempotency-key'] === `entry-${i}`).length).toBeGreaterThanOrEqual(1);
    }
    const log = await f.sql<{ job_id: string; attempt: number; outcome: string; claim_token: string | null }[]>`
      select job_id, attempt, outcome, claim_token from job_attempts order by job_id, attempt`;
    for (const id of ids) {
      expect(log.filter((r) => r.job_id === id).map((r) => [r.attempt, r.outcome]), id).toEqual([
        [1, 'lost'],
        [2, 'success'],
      ]);
    }
    const claims = log.map((r) => `${r.job_id}/${r.claim_token}`);
    expect(new Set(claims).size).toBe(claims.length);

    b.kill('SIGTERM');
    expect(await b.exited, b.output()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
