import { describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client';
import { jobs } from '../../src/db/schema';
import { claimJobs, enqueueJob, LEASE_MARGIN_MS } from '../../src/queue';
import { createRegistry, parseServices } from '../../src/registry';
import { createJobStore } from '../../src/worker/store';
import { useTestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

const LEASE_MS = 30_000;
const t = useTestDatabase();

describe('claimJobs', () => {
  it('claims each of 1,000 jobs exactly once across 4 concurrent claimers', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    await db.insert(jobs).values(Array.from({ length: 1000 }, (_, i) => newJob({ input: { i } })));
    // Separate connections on a real server, so the claims really run side by side.
    const claimers: Database[] = t.url
      ? await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url: t.url, maxConnections: 1 })))
      : [t.database, t.database, t.database, t.database];
    const claimed = new Map<string, string[]>();
    await Promise.all(
      claimers.map(async (c, w) => {
        for (;;) {
          const batch = await claimJobs(c.db, `w${w}`, 7);
          if (batch.length === 0) return;
          for (const j of batch) claimed.set(j.id, [...(claimed.get(j.id) ?? []), `w${w}`]);
        }
      }),
    );
    if (t.url) await Promise.all(claimers.map((c) => c.close()));
    expect(claimed.size).toBe(1000);
    expect([...claimed.values()].filter((by) => by.length !== 1)).toEqual([]);
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(jobs).where(eq(jobs.status, 'running'));
    expect(row?.n).toBe(1000);
  });

  it('marks a claimed job running, counts the attempt and sets the lease', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const { job } = await enqueueJob(db, newJob());
    const [claimed] = await claimJobs(db, 'worker-a', 5);
    expect(claimed).toMatchObject({ id: job.id, status: 'running', attempts: 1, lockedBy: 'worker-a' });
    const leaseLeft = claimed!.lockedUntil!.getTime() - claimed!.startedAt!.getTime();
    expect(leaseLeft).toBeGreaterThan(LEASE_MS - 1_000);
    expect(leaseLeft).toBeLessThan(LEASE_MS + 1_000);
    expect(await claimJobs(db, 'worker-b', 5)).toEqual([]);
  });

  it('leases a job accepted before per-job leases (lease_ms null) for the legacy lease and records it; others keep their own', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const { job: old } = await enqueueJob(db, newJob());
    await db.update(jobs).set({ leaseMs: null }).where(eq(jobs.id, old.id));
    const { job: current } = await enqueueJob(db, newJob());
    const claimed = new Map((await claimJobs(db, 'w', 2, 70_000)).map((j) => [j.id, j]));
    expect(claimed.get(old.id)?.leaseMs).toBe(70_000);
    expect(claimed.get(current.id)?.leaseMs).toBe(LEASE_MS);
    const leaseOf = (id: string) => claimed.get(id)!.lockedUntil!.getTime() - claimed.get(id)!.startedAt!.getTime();
    expect(leaseOf(old.id)).toBeGreaterThan(70_000 - 1_000);
    expect(leaseOf(current.id)).toBeLessThan(LEASE_MS + 1_000);
    const [row] = await db.select({ leaseMs: jobs.leaseMs }).from(jobs).where(eq(jobs.id, old.id));
    expect(row?.leaseMs).toBe(70_000);
  });

  it("through the worker's store, leases a legacy job for the registry's longest timeout plus the margin", async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const registry = createRegistry(
      parseServices(`
services:
  - name: quick
    kind: mock
    timeoutMs: 1000
    operations: [{ name: ping }]
  - name: slow
    kind: mock
    timeoutMs: 60000
    operations: [{ name: report }]
`),
    );
    const { job } = await enqueueJob(db, newJob());
    await db.update(jobs).set({ leaseMs: null }).where(eq(jobs.id, job.id));
    const [claimed] = await createJobStore(db, { registry, maxInputBytes: 262_144 }, false).claim('w', 1);
    expect(claimed).toMatchObject({ id: job.id, leaseMs: 60_000 + LEASE_MARGIN_MS });
  });

  it('takes jobs by priority, then run_at, and leaves future jobs alone', async () => {
    const db = t.database.db;
    await db.delete(jobs);
    const late = await enqueueJob(db, newJob({ priority: 5 }));
    const early = await enqueueJob(db, newJob({ priority: -1 }));
    await enqueueJob(db, newJob({ runAt: new Date(Date.now() + 60_000) }));
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push(...(await claimJobs(db, 'w', 1)).map((j) => j.id));
    expect(order).toEqual([early.job.id, late.job.id]);
  });
});
