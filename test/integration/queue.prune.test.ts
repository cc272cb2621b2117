// Retention's DELETE: exactly the finished jobs past their retention go, with their attempts;
// unfinished jobs never do; instances pruning at once split the rows without waiting on each other.
import { describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { openDatabase } from '../../src/db/client';
import { DEFAULT_TENANT_ID, JOB_STATUS, jobAttempts, jobs, type JobStatus } from '../../src/db/schema';
import { enqueueJob, pruneFinishedJobs, type Retention } from '../../src/queue';
import { hasPgServer, pgSkipReason, useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

const DAY_MS = 86_400_000;
const RETENTION: Retention = { retentionMs: 7 * DAY_MS, failedRetentionMs: 30 * DAY_MS };
/** A waiting prune or enqueue would wait for the other transaction forever; this bound only has to hold on a loaded box. */
const PROMPT_MS = 5_000;

const t = useTestDatabase();

/** One job of `status` that finished (or, if unfinished, was last touched) `ageDays` ago, with two attempts. */
async function seedJob(db: Db, status: JobStatus, ageDays: number): Promise<string> {
  const at = new Date(Date.now() - ageDays * DAY_MS);
  const [job] = await db
    .insert(jobs)
    .values({ ...newJob(), status, attempts: 2, createdAt: at, updatedAt: at, runAt: at, completedAt: at })
    .returning({ id: jobs.id });
  const attempt = { jobId: job!.id, startedAt: at, finishedAt: at, durationMs: 5, outcome: 'http_error' as const };
  await db.insert(jobAttempts).values([{ ...attempt, attempt: 1 }, { ...attempt, attempt: 2 }]);
  return job!.id;
}

/** `n` succeeded jobs finished 10 days ago, one attempt each, in two set-based statements. */
async function seedOldSucceeded(db: Db, n: number): Promise<void> {
  await db.execute(sql`
    insert into jobs (tenant_id, service, operation, input, status, attempts, max_attempts, created_at, completed_at)
    select ${DEFAULT_TENANT_ID}, 'mock', 'echo', jsonb_build_object('i', i), 'succeeded', 1, 1,
           now() - interval '10 days', now() - interval '10 days'
    from generate_series(1, ${n}) as i`);
  await db.execute(sql`
    insert into job_attempts (job_id, attempt, started_at, finished_at, duration_ms, outcome)
    select id, 1, completed_at, completed_at, 5, 'success' from jobs`);
}

/** Prunes in batches of `limit` until a short batch, as the retention task does. */
async function pruneAll(db: Db, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const batch = await pruneFinishedJobs(db, RETENTION, limit);
    ids.push(...batch);
    if (batch.length < limit) return ids;
  }
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const count = async (db: Db, table: typeof jobs | typeof jobAttempts) =>
  (await db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n;

describe('pruneFinishedJobs', () => {
  it('deletes exactly the finished jobs past their retention, with their attempts, and no unfinished job', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const seeded: { id: string; status: JobStatus; ageDays: number }[] = [];
    for (const status of JOB_STATUS) {
      for (const ageDays of [1, 8, 31]) seeded.push({ id: await seedJob(db, status, ageDays), status, ageDays });
    }
    const doomed = seeded
      .filter((j) => (j.status === 'failed' ? j.ageDays > 30 : ['succeeded', 'cancelled', 'timed_out', 'expired'].includes(j.status) && j.ageDays > 7))
      .map((j) => j.id);
    expect(doomed).toHaveLength(4 * 2 + 1);

    // Batches of 3 take several statements, as a backlog would.
    const deleted = await pruneAll(db, 3);

    expect([...deleted].sort()).toEqual([...doomed].sort());
    const left = await db.select({ id: jobs.id, status: jobs.status }).from(jobs);
    expect(left.map((j) => j.id).sort()).toEqual(seeded.filter((j) => !doomed.includes(j.id)).map((j) => j.id).sort());
    for (const status of ['pending', 'running', 'waiting_callback'] as const) {
      expect(left.filter((j) => j.status === status)).toHaveLength(3);
    }
    expect(await db.select().from(jobAttempts).where(inArray(jobAttempts.jobId, doomed))).toEqual([]);
    expect(await count(db, jobAttempts)).toBe((seeded.length - doomed.length) * 2);
    expect(await pruneFinishedJobs(db, RETENTION, 100)).toEqual([]);
  });

  it('keeps FAILED jobs for their own, longer retention', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const failed8 = await seedJob(db, 'failed', 8);
    const succeeded8 = await seedJob(db, 'succeeded', 8);
    expect(await pruneAll(db, 100)).toEqual([succeeded8]);
    expect(await pruneAll(db, 100)).toEqual([]);
    expect(await pruneFinishedJobs(db, { ...RETENTION, failedRetentionMs: 7 * DAY_MS }, 100)).toEqual([failed8]);
  });

  describe.skipIf(!hasPgServer())(`on separate connections${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
    it('two instances pruning at once delete each row exactly once, and enqueues keep going', async () => {
      const db = t.database.db;
      await db.delete(jobs);
      const total = 6_000;
      await seedOldSucceeded(db, total);
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => openDatabase({ url: t.url, maxConnections: 1 })));
      try {
        let pruning = true;
        const enqueueMs: number[] = [];
        const enqueues = (async () => {
          for (let i = 0; pruning || i === 0; i++) {
            const started = performance.now();
            await enqueueJob(c!.db, newJob({ idempotencyKey: `during-${i}` }));
            enqueueMs.push(performance.now() - started);
          }
        })();
        const [byA, byB] = await Promise.all([pruneAll(a!.db, 500), pruneAll(b!.db, 500)]).finally(() => (pruning = false));
        await enqueues;

        expect(byA.length + byB.length).toBe(total);
        expect(new Set([...byA, ...byB]).size).toBe(total);
        expect(await count(db, jobAttempts)).toBe(0);
        const left = await db.select({ status: jobs.status }).from(jobs);
        expect(left.length).toBe(enqueueMs.length);
        expect(left.every((j) => j.status === 'pending')).toBe(true);
        expect(Math.max(...enqueueMs)).toBeLessThan(PROMPT_MS);
      } finally {
        await Promise.all([a, b, c].map((d) => d?.close()));
      }
    });

    it('skips rows another pruner holds instead of waiting for it, and an enqueue meanwhile is prompt', async () => {
      const db = t.database.db;
      await db.delete(jobs);
      await seedOldSucceeded(db, 300);
      const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ url: t.url, maxConnections: 1 })));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: (ids: string[]) => void;
      const heldIds = new Promise<string[]>((resolve) => (locked = resolve));
      // Instance A deletes 100 rows and keeps its transaction open: its row locks stay held.
      const held = a!.db.transaction(async (tx) => {
        locked(await pruneFinishedJobs(tx, RETENTION, 100));
        await released;
      });
      try {
        const byA = await heldIds;
        expect(byA).toHaveLength(100);
        const byB = await within(PROMPT_MS, 'a prune beside an open prune', pruneFinishedJobs(b!.db, RETENTION, 1_000));
        expect(byB).toHaveLength(200);
        expect(byB.filter((id) => byA.includes(id))).toEqual([]);
        const { job } = await within(PROMPT_MS, 'an enqueue beside an open prune', enqueueJob(b!.db, newJob()));
        expect(job.status).toBe('pending');
        release();
        await held;
        expect(await pruneFinishedJobs(b!.db, RETENTION, 1_000)).toEqual([]);
        expect(await db.select({ id: jobs.id }).from(jobs)).toEqual([{ id: job.id }]);
        expect(await db.select().from(jobAttempts).where(eq(jobAttempts.jobId, job.id))).toEqual([]);
        expect(await count(db, jobAttempts)).toBe(0);
      } finally {
        release();
        await held.catch(() => {});
        await Promise.all([a, b].map((d) => d?.close()));
      }
    });
  });
});
