// A crashed instance loses no job: instance A is SIGKILLed with calls in flight; instance B, on the
// same database, takes A's jobs back once their lease (timeout 2 s + 5 s margin) has expired, never
// before, and runs every job to SUCCEEDED without any job being called twice at once.
import { describe, expect, it } from 'vitest';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

const JOBS = 20;
/** The upstream answers in 1.5 s, inside the 2 s timeout: long enough to kill A mid-call. */
const CALL_MS = 1_500;
/** Lease 7 s (2 s + 5 s margin) + sweep every 0.5 s + B's start and the 1.5 s rerun, with slack for two busy cores. */
const RECOVERY_BOUND_MS = 30_000;
const APP_NAME = 'callgate-test-crash';

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;
const ALL_JOBS = `{ jobs(first: 100) { edges { node { id status } } } }`;
const JOB = `query Job($id: ID!) { job(id: $id) { status attempts attemptLog { attempt outcome } } }`;

describe.skipIf(!hasPgServer())(`a crashed instance's jobs${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('crash', APP_NAME);
  const start = (instanceId: string, servicesFile: string) =>
    f.start(instanceId, servicesFile, { WORKER_CONCURRENCY: '8', CALLGATE_SWEEP_INTERVAL_MS: '500' });

  it('are recovered by another instance after their lease, none run twice at once', async () => {
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

    const a = await start('A', servicesFile);
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const res = await a.gql(CALL, { input: { service: 'ledger', operation: 'post', input: { n: i }, idempotencyKey: `entry-${i}` } });
      expect(res.data?.callService, JSON.stringify(res)).toMatchObject({ __typename: 'CallServiceSuccess' });
      ids.push(res.data!.callService.job.id);
    }
    await expect.poll(() => f.upstream.requests.length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(3);
    a.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await a.exited).toMatchObject({ signal: 'SIGKILL' });

    // Once A's backends are gone, nothing can change its jobs any more: what is RUNNING is lost.
    await expect
      .poll(
        async () =>
          (await f.sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and backend_type = 'client backend' and application_name <> ${APP_NAME}`)[0]!.n,
        { timeout: 15_000, interval: 100 },
      )
      .toBe(0);
    const lost = await f.sql<{ id: string; idempotency_key: string; locked_until: Date }[]>`
      select id, idempotency_key, locked_until from jobs where status = 'running' and locked_by = 'A'`;
    expect(lost.length, 'A had calls in flight when it was killed').toBeGreaterThan(0);

    const b = await start('B', servicesFile);
    await expect
      .poll(
        async () => {
          const res = await b.gql(ALL_JOBS);
          return res.data?.jobs.edges.filter((e: { node: { status: string } }) => e.node.status === 'SUCCEEDED').length;
        },
        { timeout: 40_000, interval: 250 },
      )
      .toBe(JOBS);
    expect(Date.now() - killedAt).toBeLessThan(RECOVERY_BOUND_MS);

    expect(f.upstream.overlaps).toBe(0);
    for (const job of lost) {
      const res = await b.gql(JOB, { id: job.id });
      const log: { attempt: number; outcome: string }[] = res.data?.job.attemptLog;
      expect(log, job.id).toContainEqual({ attempt: 1, outcome: 'LOST' });
      expect(log.at(-1)?.outcome, job.id).toBe('SUCCESS');
      // B sent it again only after A's lease had run out: a live job is never taken over. A sent
      // each lost job once (its call never answered); every later request is B's. (Telling them
      // apart by the kill time raced: A's last request can reach the upstream after the kill.)
      const [, ...rerun] = f.upstream.requests.filter((r) => r.headers['idempotency-key'] === job.idempotency_key);
      expect(rerun.length, job.id).toBeGreaterThan(0);
      for (const r of rerun) expect(r.receivedAt, job.id).toBeGreaterThanOrEqual(job.locked_until.getTime());
    }
    // Every job completed once: no second SUCCESS from a duplicate run.
    const successes = await f.sql<{ job_id: string; n: number }[]>`
      select job_id, count(*)::int as n from job_attempts where outcome = 'success' group by job_id`;
    expect(successes).toHaveLength(JOBS);
    expect(successes.every((s) => s.n === 1)).toBe(true);
    expect(new Set(successes.map((s) => s.job_id))).toEqual(new Set(ids));

    b.kill('SIGTERM');
    const stopped = await b.exited;
    expect(stopped, b.output()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
