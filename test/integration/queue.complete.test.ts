import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimJobs, completeJob, enqueueJob, failJob, listAttempts } from '../../src/queue';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

const attempt = (outcome: 'success' | 'http_error', httpStatus: number) => ({
  startedAt: new Date(Date.now() - 12),
  finishedAt: new Date(),
  durationMs: 12,
  outcome,
  httpStatus,
  request: { method: 'POST', url: 'http://127.0.0.1/x' },
});

async function claimOne(workerId: string) {
  const { job } = await enqueueJob(t.database.db, newJob());
  const claimed = await claimJobs(t.database.db, workerId, 1, 30_000);
  expect(claimed.map((j) => j.id)).toEqual([job.id]);
  return job.id;
}

describe('completeJob and failJob', () => {
  it('completes a running job with its output and logs the attempt', async () => {
    const id = await claimOne('w1');
    const done = await completeJob(t.database.db, { jobId: id, workerId: 'w1', output: { ok: true }, attempt: attempt('success', 200) });
    expect(done).toMatchObject({ status: 'succeeded', output: { ok: true }, lockedBy: null, lastError: null });
    expect(done?.completedAt).toBeInstanceOf(Date);
    const log = await listAttempts(t.database.db, id);
    expect(log).toMatchObject([{ attempt: 1, outcome: 'success', httpStatus: 200, durationMs: 12 }]);
  });

  it('fails a running job with the error and logs the attempt', async () => {
    const id = await claimOne('w1');
    const failed = await failJob(t.database.db, { jobId: id, workerId: 'w1', error: 'HTTP 500: boom', attempt: attempt('http_error', 500) });
    expect(failed).toMatchObject({ status: 'failed', lastError: 'HTTP 500: boom', output: null });
    expect(await listAttempts(t.database.db, id)).toMatchObject([{ attempt: 1, outcome: 'http_error', httpStatus: 500 }]);
  });

  it('refuses to finish a job that another worker holds, and logs nothing', async () => {
    const id = await claimOne('w1');
    const result = await completeJob(t.database.db, { jobId: id, workerId: 'w2', output: {}, attempt: attempt('success', 200) });
    expect(result).toBeNull();
    expect(await listAttempts(t.database.db, id)).toEqual([]);
  });
});
