// The job_callbacks statements on a real PostgreSQL: the worker's accept and the callback racing on
// many jobs end each exactly once whichever commits first; the sweeper times out only jobs past
// their deadline; a new attempt's token replaces the old one.
import { eq, inArray, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { newCallbackToken } from '../../src/callbacks/token';
import { jobCallbacks, jobs } from '../../src/db/schema';
import { acceptCallback, armCallback, claimJobs, enqueueJob, findCallbackTarget, listAttempts, receiveCallback, timeOutCallbacks } from '../../src/queue';
import { createRegistry } from '../../src/registry';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

/** These jobs carry no follow-ups: the endings never consult these rules. */
const NO_SERVICES = { registry: createRegistry([]), maxInputBytes: 262_144 };
const t = useTestDatabase();
beforeEach(async () => {
  await t.database.db.delete(jobs);
});

const now = () => new Date();
const accepted = (n = 1) => ({ attempt: n, startedAt: now(), finishedAt: now(), durationMs: 1, outcome: 'accepted' as const, httpStatus: 202 });
const callbackRow = () => ({ startedAt: now(), finishedAt: now(), durationMs: 0, outcome: 'callback' as const });

/** `count` jobs claimed and armed, as a worker leaves them just before it sends the request. */
async function armedJobs(count: number) {
  const db = t.database.db;
  for (let i = 0; i < count; i++) await enqueueJob(db, newJob({ correlationId: `c-${i}` }));
  const claimed = await claimJobs(db, 'w1', count);
  return Promise.all(
    claimed.map(async (job) => {
      const { hash } = newCallbackToken();
      expect(await armCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: job.attempts, tokenHash: hash })).toEqual({ kind: 'armed' });
      return { job, hash };
    }),
  );
}

describe('the accept/callback race', () => {
  it('ends each of 40 jobs exactly once when accept and callback commit concurrently', async () => {
    const db = t.database.db;
    const armed = await armedJobs(40);
    const outcomes = await Promise.all(
      armed.map(({ job, hash }) =>
        Promise.all([
          acceptCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: accepted(), timeoutMs: 60_000 }),
          receiveCallback(db, { tokenHash: hash, webhookId: `w-${job.id}`, result: { kind: 'succeeded', output: { id: job.id } }, attempt: callbackRow() }, NO_SERVICES),
        ]),
      ),
    );
    for (const [i, [acceptedJob, received]] of outcomes.entries()) {
      // Whichever came second ended the job.
      expect(acceptedJob?.status === 'succeeded').toBe(received.kind === 'stored');
      expect(['stored', 'completed']).toContain(received.kind);
      const { job } = armed[i]!;
      expect((await listAttempts(db, job.id)).map((a) => a.outcome).sort()).toEqual(['accepted', 'callback']);
    }
    const ended = await db.select({ status: jobs.status, output: jobs.output, id: jobs.id }).from(jobs);
    expect(ended.every((j) => j.status === 'succeeded' && (j.output as { id: string }).id === j.id)).toBe(true);
    const rows = await db.select().from(jobCallbacks);
    expect(rows.every((r) => r.acceptedAt && r.receivedAt && r.retiredAt)).toBe(true);
  });

  it('keeps waiting on a progress callback and ignores callbacks once the job ended', async () => {
    const db = t.database.db;
    const { job, hash } = (await armedJobs(1))[0]!;
    await acceptCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: accepted(), timeoutMs: 60_000 });
    expect(await receiveCallback(db, { tokenHash: hash, webhookId: 'p1', result: { kind: 'progress', status: 'processing' }, attempt: callbackRow() }, NO_SERVICES)).toEqual({ kind: 'progress' });
    expect(await receiveCallback(db, { tokenHash: hash, webhookId: 'p1', result: { kind: 'failed', error: 'x' }, attempt: callbackRow() }, NO_SERVICES)).toEqual({ kind: 'replay' });
    expect((await receiveCallback(db, { tokenHash: hash, webhookId: 'f1', result: { kind: 'failed', error: 'declined' }, attempt: callbackRow() }, NO_SERVICES)).kind).toBe('completed');
    expect(await receiveCallback(db, { tokenHash: hash, webhookId: 's1', result: { kind: 'succeeded', output: 1 }, attempt: callbackRow() }, NO_SERVICES)).toEqual({ kind: 'ignored', status: 'failed' });
    const [row] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row).toMatchObject({ status: 'failed', lastError: 'declined' });
    expect((await listAttempts(db, job.id)).map((a) => a.outcome)).toEqual(['accepted', 'callback', 'callback']);
  });

  it('finds the job and its correlation id by token hash; a new attempt\'s token replaces the old one', async () => {
    const db = t.database.db;
    const { job, hash } = (await armedJobs(1))[0]!;
    expect(await findCallbackTarget(db, hash)).toMatchObject({ jobId: job.id, correlationId: 'c-0' });
    const second = newCallbackToken();
    expect(await armCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: 2, tokenHash: second.hash })).toEqual({ kind: 'armed' });
    expect(await findCallbackTarget(db, hash)).toBeUndefined();
    expect(await armCallback(db, { jobId: job.id, claimToken: crypto.randomUUID(), attempt: 3, tokenHash: newCallbackToken().hash })).toEqual({ kind: 'fenced' });
    expect(await findCallbackTarget(db, second.hash)).toMatchObject({ jobId: job.id });
  });
});

describe('timeOutCallbacks', () => {
  it('times out only waiting jobs past their deadline, once, with a timed_out attempt', async () => {
    const db = t.database.db;
    const armed = await armedJobs(3);
    for (const { job } of armed) await acceptCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: accepted(), timeoutMs: 60_000 });
    const [late, alsoLate] = armed.map((a) => a.job.id);
    await db.update(jobCallbacks).set({ expiresAt: sql`now() - interval '1 second'` }).where(inArray(jobCallbacks.jobId, [late!, alsoLate!]));
    const [first, second] = await Promise.all([timeOutCallbacks(db, NO_SERVICES), timeOutCallbacks(db, NO_SERVICES)]);
    expect([...first!, ...second!].map((j) => j.id).sort()).toEqual([late, alsoLate].sort());
    expect(await timeOutCallbacks(db, NO_SERVICES)).toEqual([]);
    const statuses = await db.select({ id: jobs.id, status: jobs.status }).from(jobs);
    expect(statuses.filter((s) => s.status === 'timed_out').map((s) => s.id).sort()).toEqual([late, alsoLate].sort());
    expect((await listAttempts(db, late!)).map((a) => a.outcome)).toEqual(['accepted', 'timed_out']);
    const { hash } = armed[0]!;
    expect((await receiveCallback(db, { tokenHash: hash, webhookId: 'late', result: { kind: 'succeeded', output: 1 }, attempt: callbackRow() }, NO_SERVICES)).kind).toBe('ignored');
  });
});
