import { describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { jobs, tenants } from '../../src/db/schema';
import { parseEvents } from '../../src/events/bus';
import { enqueueJob } from '../../src/queue';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

const t = useTestDatabase();

describe('enqueueJob', () => {
  it('stores a pending job with its input and defaults', async () => {
    const { job, deduplicated } = await enqueueJob(t.database.db, newJob({ input: { to: 'a@b.c' }, maxAttempts: 3 }));
    expect(deduplicated).toBe(false);
    expect(job).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 3, priority: 0, input: { to: 'a@b.c' } });
    const [stored] = await t.database.db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(stored?.input).toEqual({ to: 'a@b.c' });
  });

  it('announces the new job on callgate_job', async () => {
    const seen: string[] = [];
    const unlisten = await t.database.listen('callgate_job', (p) => seen.push(p));
    const { job } = await enqueueJob(t.database.db, newJob());
    await expect.poll(() => seen.flatMap((p) => parseEvents(p).events)).toContainEqual({ id: job.id, tenant: job.tenantId, status: 'pending', attempt: 0, due: true });
    await unlisten();
  });

  it('returns the first job for a repeated idempotency key, also when both race', async () => {
    const spec = newJob({ idempotencyKey: 'order-42' });
    const results = await Promise.all(Array.from({ length: 8 }, () => enqueueJob(t.database.db, spec)));
    const ids = new Set(results.map((r) => r.job.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    const [row] = await t.database.db.select({ n: count() }).from(jobs).where(eq(jobs.idempotencyKey, 'order-42'));
    expect(row?.n).toBe(1);
  });

  it('scopes idempotency keys to the tenant', async () => {
    const [other] = await t.database.db.insert(tenants).values({ name: 'other' }).returning();
    const a = await enqueueJob(t.database.db, newJob({ idempotencyKey: 'shared' }));
    const b = await enqueueJob(t.database.db, newJob({ idempotencyKey: 'shared', tenantId: other!.id }));
    expect(b.deduplicated).toBe(false);
    expect(b.job.id).not.toBe(a.job.id);
  });
});
