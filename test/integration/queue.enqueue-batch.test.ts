// The enqueue batcher under 64 concurrent callers on the real database, as the API uses it (each
// batch in its tenant's row-level-security scope): every caller gets its own job, equal keys
// inside one batch make one job, a row the database refuses fails only its own caller, and two
// tenants' jobs never share a scope.
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, jobs, tenants } from '../../src/db/schema';
import { createEnqueueBatcher, enqueueJob, type Enqueued } from '../../src/queue';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

const t = useTestDatabase();
const CALLERS = 64;

/** Each promise's outcome, in order, without failing on the rejected ones. */
const settle = (promises: Promise<Enqueued>[]) => Promise.allSettled(promises);
const created = (results: PromiseSettledResult<Enqueued>[]) =>
  results.map((r) => {
    if (r.status !== 'fulfilled') throw new Error(`unexpected failure: ${String(r.reason)}`);
    return r.value;
  });

describe('createEnqueueBatcher', () => {
  it('gives each of 64 concurrent callers its own job, all inserted by one statement', async () => {
    const enqueue = createEnqueueBatcher({ db: t.database.db });
    const results = created(await settle(Array.from({ length: CALLERS }, (_, n) => enqueue(newJob({ input: { n }, priority: n })))));
    expect(results.map((r) => r.job.input)).toEqual(Array.from({ length: CALLERS }, (_, n) => ({ n })));
    expect(results.map((r) => r.job.priority)).toEqual(Array.from({ length: CALLERS }, (_, n) => n));
    expect(results.every((r) => !r.deduplicated && r.job.status === 'pending' && r.job.attempts === 0)).toBe(true);
    const ids = results.map((r) => r.job.id);
    expect(new Set(ids).size).toBe(CALLERS);
    const stored = await t.database.db.select().from(jobs).where(inArray(jobs.id, ids));
    expect(stored).toHaveLength(CALLERS);
    // now() is the transaction's start: one created_at for all is one transaction.
    expect(new Set(stored.map((j) => j.createdAt.getTime())).size).toBe(1);
    expect(stored.find((j) => j.id === ids[7])?.input).toEqual({ n: 7 });
  });

  it('dedupes equal idempotency keys inside one batch and against earlier calls', async () => {
    const enqueue = createEnqueueBatcher({ db: t.database.db });
    const earlier = await enqueueJob(t.database.db, newJob({ idempotencyKey: 'batch-key-earlier' }));
    // 8 keys, 8 callers each; the earlier key is reused by 8 more.
    const keyOf = (n: number) => (n < 56 ? `batch-key-${n % 7}` : 'batch-key-earlier');
    const results = created(await settle(Array.from({ length: CALLERS }, (_, n) => enqueue(newJob({ idempotencyKey: keyOf(n) })))));
    for (let k = 0; k < 7; k++) {
      const same = results.filter((_, n) => keyOf(n) === `batch-key-${k}`);
      expect(new Set(same.map((r) => r.job.id)).size).toBe(1);
      // The first caller with the key created the job; the later ones got it as duplicates.
      expect(same.map((r) => r.deduplicated)).toEqual([false, ...Array(same.length - 1).fill(true)]);
    }
    const repeats = results.filter((_, n) => keyOf(n) === 'batch-key-earlier');
    expect(repeats.every((r) => r.deduplicated && r.job.id === earlier.job.id)).toBe(true);
    const stored = await t.database.db.select().from(jobs).where(inArray(jobs.idempotencyKey, Array.from({ length: 7 }, (_, k) => `batch-key-${k}`)));
    expect(stored).toHaveLength(7);
  });

  it('fails only the callers whose rows the database refuses', async () => {
    const enqueue = createEnqueueBatcher({ db: t.database.db });
    // Both pass the API's checks only when enqueued directly: jsonb refuses \u0000, and PostgreSQL
    // timestamps end before JavaScript's earliest dates.
    const bad = new Map<number, Parameters<typeof enqueue>[0]>([
      [5, newJob({ input: { text: 'nul\u0000' } })],
      [40, newJob({ runAt: new Date('-010000-01-01T00:00:00Z') })],
    ]);
    const results = await settle(Array.from({ length: CALLERS }, (_, n) => enqueue(bad.get(n) ?? newJob({ input: { good: n } }))));
    expect(results.flatMap((r, n) => (r.status === 'rejected' ? [n] : []))).toEqual([5, 40]);
    const good = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.job] : []));
    expect(good.map((j) => j.input)).toEqual(Array.from({ length: CALLERS }, (_, n) => n).filter((n) => !bad.has(n)).map((n) => ({ good: n })));
    expect(await t.database.db.select().from(jobs).where(inArray(jobs.id, good.map((j) => j.id)))).toHaveLength(CALLERS - 2);
  });

  it("runs each tenant's jobs in that tenant's scope", async () => {
    const enqueue = createEnqueueBatcher({ db: t.database.db });
    const [other] = await t.database.db.insert(tenants).values({ name: 'batch-other' }).returning();
    const tenantOf = (n: number) => (n % 2 === 0 ? DEFAULT_TENANT_ID : other!.id);
    // The same key in both tenants: two jobs, since keys are per tenant.
    const results = created(await settle(Array.from({ length: CALLERS }, (_, n) => enqueue(newJob({ tenantId: tenantOf(n), input: { n }, idempotencyKey: n < 2 ? 'both' : null })))));
    expect(results.map((r) => r.job.tenantId)).toEqual(Array.from({ length: CALLERS }, (_, n) => tenantOf(n)));
    expect(results[0]!.job.id).not.toBe(results[1]!.job.id);
    const stored = await t.database.db.select().from(jobs).where(eq(jobs.tenantId, other!.id));
    expect(stored).toHaveLength(CALLERS / 2);
    expect(stored.every((j) => (j.input as { n: number }).n % 2 === 1)).toBe(true);
  });
});
