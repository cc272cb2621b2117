// Fencing in SQL: after the sweeper takes a job back and it is claimed again, every write carrying
// the old claim's token (complete, fail, retry, put back, a cancelled call's log) leaves the job to
// the new claim, and the old attempt is logged once, as superseded, with what its call returned.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, jobs } from '../../src/db/schema';
import {
  claimJobs,
  completeJob,
  enqueueJob,
  failJob,
  getJob,
  listAttempts,
  putBack,
  recordAttempt,
  recoverExpiredLeases,
  scheduleRetry,
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


/** A job claimed once, taken back by the sweeper after its 1 ms lease, and claimed again. */
async function takenOver() {
  const db = t.database.db;
  const { job } = await enqueueJob(db, newJob({ maxAttempts: 5, leaseMs: 1 }));
  const [first] = await claimJobs(db, 'same-instance', 1);
  await new Promise((r) => setTimeout(r, 20));
  expect(await recoverExpiredLeases(db, NO_SERVICES)).toEqual([{ id: job.id, service: 'mock', operation: 'echo', status: 'pending' }]);
  const [second] = await claimJobs(db, 'same-instance', 1);
  expect(second?.id).toBe(job.id);
  expect(second?.claimToken).not.toBe(first?.claimToken);
  return { db, id: job.id, stale: { jobId: job.id, claimToken: first!.claimToken }, fresh: { jobId: job.id, claimToken: second!.claimToken } };
}

describe('a claim whose lease was taken over', () => {
  it('gives every claim its own token, also within one batch', async () => {
    for (let i = 0; i < 3; i++) await enqueueJob(t.database.db, newJob());
    const claimed = await claimJobs(t.database.db, 'w', 3);
    expect(new Set(claimed.map((j) => j.claimToken)).size).toBe(3);
  });

  it('cannot complete, fail, retry or put back the newer claim', async () => {
    const { db, id, stale } = await takenOver();
    expect(await completeJob(db, { ...stale, output: { stale: true }, attempt: attemptRecord(1, 'success', 200) })).toBeNull();
    expect(await failJob(db, { ...stale, error: 'stale failure' })).toBeNull();
    expect(await scheduleRetry(db, { ...stale, error: 'stale retry', delayMs: 1_000 })).toBeNull();
    expect(await putBack(db, { ...stale, runAt: null, reason: 'stale put back' })).toBeNull();
    const job = await getJob(db, DEFAULT_TENANT_ID, id);
    expect(job).toMatchObject({ status: 'running', attempts: 2, output: null });
    expect(job?.lastError).toMatch(/^sent, outcome unknown: the lease of worker/);
  });

  it('logs the stale attempt once, as superseded with what its call returned, and the newer claim finishes', async () => {
    const { db, id, stale, fresh } = await takenOver();
    await completeJob(db, { ...stale, output: { stale: true }, attempt: attemptRecord(1, 'success', 200) });
    expect(await completeJob(db, { ...fresh, output: { fresh: true }, attempt: attemptRecord(2, 'success', 200) })).toMatchObject({
      status: 'succeeded',
    });
    expect(await getJob(db, DEFAULT_TENANT_ID, id)).toMatchObject({ status: 'succeeded', output: { fresh: true }, claimToken: null });
    expect(await listAttempts(db, id)).toMatchObject([
      { attempt: 1, outcome: 'superseded', httpStatus: 200, error: expect.stringMatching(/^result discarded: .*\(the call ended: success, HTTP 200\)$/) },
      { attempt: 2, outcome: 'success', httpStatus: 200 },
    ]);
  });

  it('records a stale call aborted by a cancel as superseded too', async () => {
    const { db, id, stale } = await takenOver();
    await recordAttempt(db, { ...stale, attempt: { ...attemptRecord(1, 'aborted'), error: 'aborted: job cancelled' } });
    expect(await listAttempts(db, id)).toMatchObject([
      { attempt: 1, outcome: 'superseded', error: expect.stringContaining('the call ended: aborted, aborted: job cancelled') },
    ]);
  });

  it('keeps a cancelled call’s own outcome when no lease was lost', async () => {
    const { job } = await enqueueJob(t.database.db, newJob());
    const [claimed] = await claimJobs(t.database.db, 'w', 1);
    await recordAttempt(t.database.db, { jobId: job.id, claimToken: claimed!.claimToken, attempt: { ...attemptRecord(1, 'aborted'), error: 'aborted: job cancelled' } });
    expect(await listAttempts(t.database.db, job.id)).toMatchObject([{ attempt: 1, outcome: 'aborted', error: 'aborted: job cancelled' }]);
  });
});
