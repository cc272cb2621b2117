import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, instances } from '../../src/db/schema';
import { createLogger } from '../../src/logger';
import { queueHealth } from '../../src/queue';
import { createHeartbeat } from '../../src/worker/heartbeat';
import { useTestDatabase } from '../helpers/db';
import { MINUTE, seedJobs, type SeedJob } from '../helpers/stats-seed';

const t = useTestDatabase();
const log = createLogger('silent');
const N_DUE = 3;
const M_SCHEDULED = 2;
const OLDEST_DUE = 7 * MINUTE;

const job = (over: Partial<SeedJob>): SeedJob => ({ service: 'pay', operation: 'charge', status: 'pending', createdAgo: MINUTE, ...over });
const heartbeat = (instanceId: string, inFlight: number) =>
  createHeartbeat({ db: t.database.db, log, instanceId, host: hostname(), pid: process.pid, concurrency: 8, inFlight: () => inFlight, intervalMs: 50 });

beforeAll(async () => {
  await seedJobs(t.database.db, [
    job({ createdAgo: 10 * MINUTE, runAtAgo: OLDEST_DUE }),
    job({ runAtAgo: 2 * MINUTE }),
    job({ runAtAgo: 0 }),
    // Scheduled: one sent for later, one retry after a failed call.
    job({ runAtAgo: -5 * MINUTE }),
    job({ runAtAgo: -MINUTE, attempts: [{ outcome: 'http_error', durationMs: 10, finishedAgo: MINUTE }] }),
    job({ status: 'running', lockedBy: 'instance-a' }),
    job({ status: 'running', lockedBy: 'instance-a' }),
    job({ status: 'running', lockedBy: 'instance-b' }),
    job({ status: 'waiting_callback' }),
    // History and other tenants are not queue depth.
    job({ status: 'succeeded', completedAgo: 0 }),
    job({ status: 'failed', completedAgo: 0 }),
  ]);
});

describe('queue', () => {
  it('reflects the unfinished jobs exactly', async () => {
    const q = await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID });
    expect(q).toMatchObject({
      pending: N_DUE + M_SCHEDULED,
      due: N_DUE,
      scheduled: M_SCHEDULED,
      scheduledRetries: 1,
      running: 3,
      waitingCallback: 1,
      runningByInstance: [
        { instance: 'instance-a', running: 2 },
        { instance: 'instance-b', running: 1 },
      ],
    });
    expect(q.oldestDueAgeMs).toBeGreaterThanOrEqual(OLDEST_DUE - 1_000);
    expect(q.oldestDueAgeMs).toBeLessThan(OLDEST_DUE + 30_000);
    const other = await queueHealth(t.database.db, { tenantId: '11111111-1111-1111-1111-111111111111' });
    expect(other).toMatchObject({ pending: 0, due: 0, running: 0, oldestDueAgeMs: null, runningByInstance: [] });
  });

  it('counts live instances from their heartbeats; one that stops beating drops out', async () => {
    const a = heartbeat('instance-a', 2);
    const b = heartbeat('instance-b', 1);
    await a.start();
    await b.start();
    let q = await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID });
    expect(q.liveInstances).toBe(2);
    expect(q.instances).toMatchObject([
      { id: 'instance-a', live: true, inFlight: 2, concurrency: 8, pid: process.pid },
      { id: 'instance-b', live: true, inFlight: 1 },
    ]);

    // instance-b hangs: its row stays but is not refreshed. With a 1 s stale limit it drops out
    // while instance-a, still beating every 50 ms, stays live.
    await b.stop();
    await t.database.db.insert(instances).values({ id: 'instance-b', host: 'h', pid: 1, concurrency: 8, inFlight: 1 });
    await t.database.db.execute(sql`update instances set last_seen_at = now() - interval '2 seconds' where id = 'instance-b'`);
    q = await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID, staleAfterMs: 1_000 });
    expect(q.liveInstances).toBe(1);
    expect(q.instances.map((i) => [i.id, i.live])).toEqual([
      ['instance-a', true],
      ['instance-b', false],
    ]);

    // A clean stop deletes the row at once.
    await a.stop();
    q = await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID, staleAfterMs: 1_000 });
    expect(q.instances.map((i) => i.id)).toEqual(['instance-b']);
    expect(q.liveInstances).toBe(0);
  });

  it('prunes instances not seen for ten minutes at the next heartbeat', async () => {
    await t.database.db.execute(sql`update instances set last_seen_at = now() - interval '11 minutes' where id = 'instance-b'`);
    const c = heartbeat('instance-c', 0);
    await c.start();
    const q = await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID });
    expect(q.instances.map((i) => i.id)).toEqual(['instance-c']);
    // Once a minute, not at every beat: a row going stale now outlives the next beats (50 ms apart).
    await t.database.db.execute(sql`insert into instances (id, host, pid, concurrency, in_flight, last_seen_at)
      values ('instance-d', 'h', 1, 1, 0, now() - interval '11 minutes')`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await queueHealth(t.database.db, { tenantId: DEFAULT_TENANT_ID })).instances.map((i) => i.id).sort()).toEqual(['instance-c', 'instance-d']);
    await c.stop();
  });
});
