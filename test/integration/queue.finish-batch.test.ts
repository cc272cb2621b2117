// endAttempts on real PostgreSQL: many ended attempts in one statement, each fenced by its own
// claim token. A row whose lease was taken over leaves the newer claim alone and is logged once as
// superseded, while the others in the same batch apply; a retry past the deadline expires.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, jobs } from '../../src/db/schema';
import { claimJobs, endAttempts, enqueueJob, getJob, listAttempts, recoverExpiredLeases } from '../../src/queue';
import { createRegistry } from '../../src/registry';
import { useTestDatabase } from '../helpers/db';
import { attemptRecord, newJob } from '../helpers/jobs';

const NO_SERVICES = { registry: createRegistry([]), maxInputBytes: 262_144 };
const t = useTestDatabase();
beforeEach(async () => {
  await t.database.db.delete(jobs);
});


describe('endAttempts', () => {
  it('writes succeed, fail, retry and expire for many jobs in one go, with their attempt rows', async () => {
    const db = t.database.db;
    const soon = new Date(Date.now() + 60_000);
    const ids: string[] = [];
    for (const deadline of [null, null, null, soon, null]) ids.push((await enqueueJob(db, newJob({ maxAttempts: 5, deadline }))).job.id);
    const claimed = await claimJobs(db, 'w', 5);
    const [a, b, c, d, e] = ids.map((id) => claimed.find((j) => j.id === id));
    const ended = await endAttempts(db, [
      { jobId: a!.id, claimToken: a!.claimToken, ending: { kind: 'succeed', output: { n: 1 } }, attempt: attemptRecord(1, 'success', 200) },
      { jobId: b!.id, claimToken: b!.claimToken, ending: { kind: 'fail', error: 'HTTP 400' }, attempt: attemptRecord(1, 'http_error', 400) },
      { jobId: c!.id, claimToken: c!.claimToken, ending: { kind: 'retry', delayMs: 5_000, error: 'HTTP 503' }, attempt: attemptRecord(1, 'http_error', 503) },
      // Its deadline is a minute away: a retry in two minutes expires it instead.
      { jobId: d!.id, claimToken: d!.claimToken, ending: { kind: 'retry', delayMs: 120_000, error: 'HTTP 503' }, attempt: attemptRecord(1, 'http_error', 503) },
      { jobId: e!.id, claimToken: e!.claimToken, ending: { kind: 'expire', error: 'late' } },
    ]);
    expect(ended.map((j) => j?.status)).toEqual(['succeeded', 'failed', 'pending', 'expired', 'expired']);
    expect(ended[2]!.runAt.getTime()).toBeGreaterThan(Date.now() + 3_000);
    expect(await getJob(db, DEFAULT_TENANT_ID, a!.id)).toMatchObject({ status: 'succeeded', output: { n: 1 }, claimToken: null, lockedBy: null });
    expect(await getJob(db, DEFAULT_TENANT_ID, b!.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400', completedAt: expect.any(Date) });
    expect(await getJob(db, DEFAULT_TENANT_ID, c!.id)).toMatchObject({ status: 'pending', completedAt: null, attempts: 1 });
    expect(await listAttempts(db, a!.id)).toMatchObject([
      { attempt: 1, outcome: 'success', httpStatus: 200, claimToken: a!.claimToken, responseBody: '{"ok":true}', request: { method: 'POST' } },
    ]);
    expect(await listAttempts(db, e!.id)).toEqual([]);
  });

  it('writes each attempt once when a batch is written again after a lost acknowledgement', async () => {
    const db = t.database.db;
    for (let i = 0; i < 2; i++) await enqueueJob(db, newJob());
    const claimed = await claimJobs(db, 'w', 2);
    const batch = claimed.map((j) => ({ jobId: j.id, claimToken: j.claimToken, ending: { kind: 'succeed' as const, output: {} }, attempt: attemptRecord(1, 'success', 200) }));
    expect((await endAttempts(db, batch)).map((j) => j?.status)).toEqual(['succeeded', 'succeeded']);
    // The retry finds every claim gone (null) and adds no row.
    expect(await endAttempts(db, batch)).toEqual([null, null]);
    for (const j of claimed) expect(await listAttempts(db, j.id)).toMatchObject([{ attempt: 1, outcome: 'success' }]);
  });

  it('applies the other rows of a batch where one was fenced out, and records the fenced one as superseded', async () => {
    const db = t.database.db;
    const { job } = await enqueueJob(db, newJob({ maxAttempts: 5, leaseMs: 1 }));
    const [stale] = await claimJobs(db, 'w', 1);
    await new Promise((r) => setTimeout(r, 20));
    await recoverExpiredLeases(db, NO_SERVICES);
    const [fresh] = await claimJobs(db, 'w', 1);
    expect(fresh?.id).toBe(job.id);
    const { job: other } = await enqueueJob(db, newJob());
    const [mine] = await claimJobs(db, 'w', 1);
    expect(mine?.id).toBe(other.id);

    const ended = await endAttempts(db, [
      { jobId: job.id, claimToken: stale!.claimToken, ending: { kind: 'succeed', output: { stale: true } }, attempt: attemptRecord(1, 'success', 200) },
      { jobId: other.id, claimToken: mine!.claimToken, ending: { kind: 'succeed', output: { mine: true } }, attempt: attemptRecord(1, 'success', 200) },
    ]);
    expect(ended[0]).toBeNull();
    expect(ended[1]).toMatchObject({ id: other.id, status: 'succeeded' });
    expect(await getJob(db, DEFAULT_TENANT_ID, job.id)).toMatchObject({ status: 'running', claimToken: fresh!.claimToken, output: null });
    expect(await listAttempts(db, job.id)).toMatchObject([
      { attempt: 1, outcome: 'superseded', httpStatus: 200, error: expect.stringMatching(/^result discarded: /) },
    ]);
    // The newer claim still ends the job, in a batch of its own.
    const [last] = await endAttempts(db, [
      { jobId: job.id, claimToken: fresh!.claimToken, ending: { kind: 'succeed', output: { fresh: true } }, attempt: attemptRecord(2, 'success', 200) },
    ]);
    expect(last).toMatchObject({ status: 'succeeded' });
    expect(await getJob(db, DEFAULT_TENANT_ID, job.id)).toMatchObject({ output: { fresh: true } });
    expect((await listAttempts(db, job.id)).map((a) => a.outcome)).toEqual(['superseded', 'success']);
  });
});
