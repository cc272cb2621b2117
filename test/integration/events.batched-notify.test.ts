// The statement-level job triggers (drizzle/0012_batched_notify.sql, 0013_notify_due.sql): a statement changing many rows
// sends one NOTIFY per 64 of them, each payload under NOTIFY's 8,000-byte limit even with the
// longest status and attempt count, and together they carry every row; a statement that changes
// no status or attempt count sends nothing.
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOB_CHANNEL, parseEvents, type JobEvent } from '../../src/events/bus';
import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import { enqueueJob } from '../../src/queue';
import { useTestDatabase } from '../helpers/db';

const t = useTestDatabase();
const ROWS = 200;
const PER_PAYLOAD = 64;
const NOTIFY_LIMIT_BYTES = 8_000;

describe('batched job NOTIFYs', () => {
  const payloads: string[] = [];
  const eventsIn = (from: number) => payloads.slice(from).flatMap((p) => parseEvents(p).events);
  /** A one-row change to wait for: NOTIFYs arrive in commit order, so anything sent before it came first. */
  async function marker(): Promise<void> {
    const { job } = await enqueueJob(t.database.db, { tenantId: DEFAULT_TENANT_ID, service: 'marker', operation: 'm', input: {}, maxAttempts: 1, leaseMs: 30_000 });
    await expect.poll(() => eventsIn(0).some((e) => e.id === job.id)).toBe(true);
  }

  beforeAll(async () => {
    await t.database.listen(JOB_CHANNEL, (p) => payloads.push(p));
  });

  it('sends a 200-row insert and update as chunks under 8,000 bytes carrying every row', async () => {
    await marker();
    const before = payloads.length;
    const inserted = await t.database.db.execute(sql`
      insert into jobs (tenant_id, service, operation, input, max_attempts)
      select ${DEFAULT_TENANT_ID}, 'bulk', 'op', '{}', 1 from generate_series(1, ${ROWS}) returning id`);
    const ids = (Array.isArray(inserted) ? inserted : (inserted as { rows: { id: string }[] }).rows).map((r) => (r as { id: string }).id);
    await expect.poll(() => eventsIn(before).length).toBe(ROWS);
    const inserts = payloads.slice(before);
    expect(inserts).toHaveLength(Math.ceil(ROWS / PER_PAYLOAD));
    expect(new Set(eventsIn(before).map((e) => e.id))).toEqual(new Set(ids));
    expect(eventsIn(before).every((e) => e.status === 'pending' && e.attempt === 0 && e.tenant === DEFAULT_TENANT_ID && e.due)).toBe(true);

    // The longest status and the largest attempt count: the worst case for a payload's size.
    const updating = payloads.length;
    // And `due` false, its longest value: run_at is in the future.
    await t.database.db.execute(sql`update jobs set status = 'waiting_callback', attempts = 2147483647, run_at = now() + interval '1 hour' where service = 'bulk'`);
    await expect.poll(() => eventsIn(updating).length).toBe(ROWS);
    const updates = payloads.slice(updating);
    expect(updates).toHaveLength(Math.ceil(ROWS / PER_PAYLOAD));
    for (const p of [...inserts, ...updates]) expect(Buffer.byteLength(p)).toBeLessThan(NOTIFY_LIMIT_BYTES);
    const expected: JobEvent[] = ids.map((id) => ({ id, tenant: DEFAULT_TENANT_ID, status: 'waiting_callback', attempt: 2147483647, due: false }));
    expect(eventsIn(updating).sort((x, y) => x.id.localeCompare(y.id))).toEqual(expected.sort((x, y) => x.id.localeCompare(y.id)));
  });

  it('says whether each pending job is due now: one scheduled for later is not', async () => {
    const before = payloads.length;
    const now = await enqueueJob(t.database.db, { tenantId: DEFAULT_TENANT_ID, service: 'due', operation: 'm', input: {}, maxAttempts: 1, leaseMs: 30_000 });
    const later = await enqueueJob(t.database.db, { tenantId: DEFAULT_TENANT_ID, service: 'due', operation: 'm', input: {}, maxAttempts: 1, leaseMs: 30_000, runAt: new Date(Date.now() + 60_000) });
    await expect.poll(() => eventsIn(before).length).toBe(2);
    expect(eventsIn(before)).toEqual([
      expect.objectContaining({ id: now.job.id, due: true }),
      expect.objectContaining({ id: later.job.id, due: false }),
    ]);
  });

  it('sends nothing for an update that changes no status or attempt count, or no row', async () => {
    const before = payloads.length;
    await t.database.db.execute(sql`update jobs set priority = 7 where service = 'bulk'`);
    await t.database.db.execute(sql`update jobs set status = 'failed' where false`);
    // Only the changed rows of a mixed update: half get a new status, half keep theirs.
    await t.database.db.execute(sql`update jobs set status = case when priority = 7 then 'failed'::job_status else status end, priority = 0 where service in ('bulk', 'marker')`);
    await marker();
    const seen = eventsIn(before);
    expect(seen.filter((e) => e.status === 'failed')).toHaveLength(ROWS);
    expect(seen.filter((e) => e.status !== 'failed').map((e) => e.status)).toEqual(['pending']);
  });
});
