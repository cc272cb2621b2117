import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import {
  cancelJob,
  claimJobs,
  completeJob,
  enqueueJob,
  expireOverdueJobs,
  failJob,
  getJob,
  listAttempts,
  putBack,
  recoverExpiredLeases,
  retryJob,
  scheduleRetry,
  type NewJob,
} from '../../src/queue';
import { createRegistry } from '../../src/registry';
import { useTestDatabase } from '../helpers/db';
import { attemptRecord, newJob } from '../helpers/jobs';

/** These jobs carry no follow-ups: the sweep never consults these rules. */
const NO_SERVICES = { registry: createRegistry([]), maxInputBytes: 262_144 };
const t = useTestDatabase();
beforeEach(async () => {
  await t.database.db.delete(jobs);
});

const TENANT = newJob().tenantId;

/** Claim tokens by job id, for the writes that end the attempt. */
const tokens = new Map<string, string>();
const claimOf = (jobId: string) => ({ jobId, claimToken: tokens.get(jobId) ?? '' });

async function claimOne(workerId: string, over: Partial<NewJob> = {}) {
  const { job } = await enqueueJob(t.database.db, newJob(over));
  const claimed = await claimJobs(t.database.db, workerId, 1);
  expect(claimed.map((j) => j.id)).toEqual([job.id]);
  tokens.set(job.id, claimed[0]!.claimToken);
  return job.id;
}

const reread = (id: string) => getJob(t.database.db, TENANT, id);
const secondsUntil = (d: Date | null | undefined) => ((d?.getTime() ?? 0) - Date.now()) / 1000;

describe('ending an attempt', () => {
  it('completes a running job with its output and logs the attempt', async () => {
    const id = await claimOne('w1');
    const done = await completeJob(t.database.db, { ...claimOf(id), output: { ok: true }, attempt: attemptRecord(1, 'success', 200) });
    expect(done).toMatchObject({ id, status: 'succeeded' });
    const job = await reread(id);
    expect(job).toMatchObject({ status: 'succeeded', output: { ok: true }, lockedBy: null, lockedUntil: null, lastError: null });
    expect(job?.completedAt).toBeInstanceOf(Date);
    expect(await listAttempts(t.database.db, id)).toMatchObject([{ attempt: 1, outcome: 'success', httpStatus: 200, durationMs: 5 }]);
  });

  it('writes an attempt once when its outcome is written again after a lost acknowledgement', async () => {
    // The worker retries an outcome whose write failed on a dropped connection; the first write may
    // have committed all the same. The second is fenced out and must not log the attempt again.
    const id = await claimOne('w1');
    const made = attemptRecord(1, 'success', 200);
    expect(await completeJob(t.database.db, { ...claimOf(id), output: { ok: true }, attempt: made })).toMatchObject({ status: 'succeeded' });
    expect(await completeJob(t.database.db, { ...claimOf(id), output: { ok: true }, attempt: made })).toBeNull();
    expect(await listAttempts(t.database.db, id)).toMatchObject([{ attempt: 1, outcome: 'success', httpStatus: 200 }]);
  });

  it('fails a running job with the error and logs the attempt', async () => {
    const id = await claimOne('w1');
    expect(await failJob(t.database.db, { ...claimOf(id), error: 'HTTP 400: bad', attempt: attemptRecord(1, 'http_error', 400) })).toMatchObject({
      status: 'failed',
    });
    expect(await reread(id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400: bad', output: null, lockedBy: null });
    expect(await listAttempts(t.database.db, id)).toMatchObject([{ attempt: 1, outcome: 'http_error', httpStatus: 400 }]);
  });

  it('leaves a job that another claim holds alone, but still logs the call that happened', async () => {
    const id = await claimOne('w1');
    expect(await completeJob(t.database.db, { jobId: id, claimToken: randomUUID(), output: {}, attempt: attemptRecord(1, 'success', 200) })).toBeNull();
    expect((await getJob(t.database.db, TENANT, id))?.status).toBe('running');
    expect(await listAttempts(t.database.db, id)).toHaveLength(1);
  });

  it('schedules a retry: PENDING at now + delay, attempt kept, lastError set', async () => {
    const id = await claimOne('w1', { maxAttempts: 3 });
    await scheduleRetry(t.database.db, { ...claimOf(id), error: 'HTTP 503', delayMs: 4_000, attempt: attemptRecord(1, 'http_error', 503) });
    const job = await reread(id);
    expect(job).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503', lockedBy: null, completedAt: null });
    expect(secondsUntil(job?.runAt)).toBeGreaterThan(3);
    expect(secondsUntil(job?.runAt)).toBeLessThan(5);
    expect(await claimJobs(t.database.db, 'w1', 5)).toEqual([]);
  });

  it('expires instead of retrying past the deadline', async () => {
    const id = await claimOne('w1', { maxAttempts: 3, deadline: new Date(Date.now() + 2_000) });
    const ended = await scheduleRetry(t.database.db, { ...claimOf(id), error: 'HTTP 503', delayMs: 5_000, attempt: attemptRecord(1, 'http_error', 503) });
    expect(ended).toMatchObject({ status: 'expired' });
    const job = await reread(id);
    expect(job).toMatchObject({ status: 'expired', lastError: 'HTTP 503' });
    expect(job?.completedAt).toBeInstanceOf(Date);
  });

  it('puts a job back without using up its attempt', async () => {
    const id = await claimOne('w1');
    const retryAt = new Date(Date.now() + 10_000);
    const ended = await putBack(t.database.db, { ...claimOf(id), runAt: retryAt, reason: 'breaker open', attempt: attemptRecord(1, 'breaker_open') });
    expect(ended).toMatchObject({ id, status: 'pending', attempts: 0 });
    expect(ended?.runAt.getTime()).toBe(retryAt.getTime());
    expect(await reread(id)).toMatchObject({ lastError: 'breaker open', lockedBy: null });
  });
});

describe('the sweeper', () => {
  it('returns a job whose lease expired to PENDING and logs the attempt as lost', async () => {
    const id = await claimOne('crashed', { maxAttempts: 3, leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await recoverExpiredLeases(t.database.db, NO_SERVICES)).toEqual([{ id, service: 'mock', operation: 'echo', status: 'pending' }]);
    expect(await getJob(t.database.db, TENANT, id)).toMatchObject({ status: 'pending', attempts: 1, lockedBy: null });
    const unknown = 'sent, outcome unknown: the lease of worker crashed ran out before it recorded how the call ended';
    expect((await getJob(t.database.db, TENANT, id))?.lastError).toBe(unknown);
    // The call may have been made: the row says so, not a bare "lost".
    expect(await listAttempts(t.database.db, id)).toMatchObject([{ attempt: 1, outcome: 'lost', error: unknown }]);
  });

  it('fails a job whose lease expired on its last attempt', async () => {
    const id = await claimOne('crashed', { maxAttempts: 1, leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await recoverExpiredLeases(t.database.db, NO_SERVICES)).toEqual([{ id, service: 'mock', operation: 'echo', status: 'failed' }]);
  });

  it('leaves live leases alone', async () => {
    await claimOne('alive');
    expect(await recoverExpiredLeases(t.database.db, NO_SERVICES)).toEqual([]);
  });

  it('expires pending jobs past their deadline, which are never claimed', async () => {
    const { job } = await enqueueJob(t.database.db, newJob({ deadline: new Date(Date.now() + 60_000) }));
    await t.database.db.update(jobs).set({ deadline: sql`now() - interval '1 second'` }).where(eq(jobs.id, job.id));
    expect(await claimJobs(t.database.db, 'w', 5)).toEqual([]);
    expect(await expireOverdueJobs(t.database.db, NO_SERVICES)).toEqual([{ id: job.id, service: 'mock', operation: 'echo', status: 'expired' }]);
    expect(await getJob(t.database.db, TENANT, job.id)).toMatchObject({ status: 'expired' });
    expect(await listAttempts(t.database.db, job.id)).toMatchObject([{ outcome: 'expired' }]);
  });
});

describe('cancelJob and retryJob', () => {
  it('cancels a pending job and a running one', async () => {
    const { job } = await enqueueJob(t.database.db, newJob());
    expect(await cancelJob(t.database.db, TENANT, job.id)).toMatchObject({ kind: 'done', job: { status: 'cancelled' } });
    const running = await claimOne('w1');
    expect(await cancelJob(t.database.db, TENANT, running)).toMatchObject({ kind: 'done', job: { status: 'cancelled', lockedBy: null } });
    // The worker finishing later cannot resurrect it.
    expect(await completeJob(t.database.db, { ...claimOf(running), output: {} })).toBeNull();
  });

  it('retries a failed job with a fresh attempt budget', async () => {
    const id = await claimOne('w1', { maxAttempts: 2 });
    await failJob(t.database.db, { ...claimOf(id), error: 'boom' });
    expect(await retryJob(t.database.db, TENANT, id, NO_SERVICES.registry)).toMatchObject({
      kind: 'done',
      job: { status: 'pending', attempts: 0, lastError: null, completedAt: null },
    });
    expect((await claimJobs(t.database.db, 'w2', 1)).map((j) => j.id)).toEqual([id]);
  });

  it('refuses invalid transitions and unknown jobs', async () => {
    const id = await claimOne('w1');
    await completeJob(t.database.db, { ...claimOf(id), output: {} });
    expect(await cancelJob(t.database.db, TENANT, id)).toEqual({ kind: 'invalid_transition', id, status: 'succeeded', action: 'cancel' });
    expect(await retryJob(t.database.db, TENANT, id, NO_SERVICES.registry)).toEqual({ kind: 'invalid_transition', id, status: 'succeeded', action: 'retry' });
    const { job: pending } = await enqueueJob(t.database.db, newJob());
    expect(await retryJob(t.database.db, TENANT, pending.id, NO_SERVICES.registry)).toMatchObject({ kind: 'invalid_transition', status: 'pending' });
    for (const missing of ['00000000-0000-4000-8000-000000000001', 'not-an-id']) {
      expect(await cancelJob(t.database.db, TENANT, missing)).toEqual({ kind: 'not_found', id: missing });
      expect(await retryJob(t.database.db, TENANT, missing, NO_SERVICES.registry)).toEqual({ kind: 'not_found', id: missing });
    }
  });

  it('never touches another tenant’s job', async () => {
    const { job } = await enqueueJob(t.database.db, newJob());
    const other = '11111111-1111-4111-8111-111111111111';
    expect(await cancelJob(t.database.db, other, job.id)).toEqual({ kind: 'not_found', id: job.id });
    expect((await getJob(t.database.db, TENANT, job.id))?.status).toBe('pending');
  });
});
