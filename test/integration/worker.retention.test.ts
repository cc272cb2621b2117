// The retention task: on its timer it deletes a backlog of expired jobs batch by batch, says how
// many in the log, and stops cleanly.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { createRetention } from '../../src/worker/retention';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

const DAY_MS = 86_400_000;
const t = useTestDatabase();

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the retention task', () => {
  it('deletes an expired backlog in batches on its timer and logs how many jobs each pass deleted', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const old = new Date(Date.now() - 10 * DAY_MS);
    await db.insert(jobs).values(Array.from({ length: 25 }, (_, i) => ({ ...newJob({ input: { i } }), status: 'succeeded' as const, completedAt: old })));
    const [kept] = await db.insert(jobs).values({ ...newJob(), status: 'succeeded', completedAt: new Date() }).returning();
    const { log, lines } = capturingLogger();
    const task = createRetention({ db, log, intervalMs: 20, retentionMs: 7 * DAY_MS, failedRetentionMs: 30 * DAY_MS, batchSize: 10 });
    task.start();
    try {
      await waitFor(() => lines.some((l) => l.msg === 'deleted finished jobs past their retention'));
    } finally {
      await task.stop();
    }
    const passes = lines.filter((l) => l.msg === 'deleted finished jobs past their retention');
    // One pass takes the whole backlog: batches of 10, 10, 5.
    expect(passes[0]).toMatchObject({ component: 'retention', deleted: 25 });
    expect(passes).toHaveLength(1);
    const left = await db.select({ id: jobs.id }).from(jobs);
    expect(left).toEqual([{ id: kept!.id }]);
  });

  it('a pass reports what it deleted, and nothing when nothing has expired', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    await db.insert(jobs).values({ ...newJob(), status: 'failed', completedAt: new Date(Date.now() - 31 * DAY_MS) });
    const { log } = capturingLogger();
    const task = createRetention({ db, log, intervalMs: 60_000, retentionMs: 7 * DAY_MS, failedRetentionMs: 30 * DAY_MS });
    expect(await task.prune()).toBe(1);
    expect(await task.prune()).toBe(0);
  });
});
