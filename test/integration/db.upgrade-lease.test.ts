// Upgrading a queue across per-job leases (migrations 0016 and 0018): jobs accepted before them,
// still unfinished, keep the lease every job had then (null lease_ms, leased by the claim for the
// longest timeout plus the margin), so a longer operation's calls are not cut to the 10 s default.
// Runs the real migrations on an embedded database: first up to 0015, then the rest.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client';
import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import { claimJobs } from '../../src/queue';

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** The last migration before per-job leases. */
const BEFORE_LEASES = '0015_partial_idempotency_index';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('upgrading across per-job leases', () => {
  it('leaves unfinished older jobs on the old lease and keeps finished ones as they were', async () => {
    // The migrations folder as it was before 0016: the same files, the journal cut after 0015.
    dir = await mkdtemp(join(tmpdir(), 'callgate-upgrade-'));
    await cp(MIGRATIONS, dir, { recursive: true });
    const journalPath = join(dir, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
    const cut = journal.entries.findIndex((e) => e.tag === BEFORE_LEASES);
    expect(cut).toBeGreaterThan(0);
    await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut + 1) }));

    const client = new PGlite();
    const db = drizzle(client) as unknown as Db;
    await migrate(drizzle(client), { migrationsFolder: dir });
    const insert = (status: string) =>
      db.execute(sql`insert into jobs (tenant_id, service, operation, input, max_attempts, status)
        values (${DEFAULT_TENANT_ID}, 'reports', 'build', '{}', 3, ${status}::job_status) returning id`);
    const pending = ((await insert('pending')) as unknown as { rows: { id: string }[] }).rows[0]!.id;
    const done = ((await insert('succeeded')) as unknown as { rows: { id: string }[] }).rows[0]!.id;

    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
    const leaseOf = async (id: string) =>
      ((await db.execute(sql`select lease_ms from jobs where id = ${id}`)) as unknown as { rows: { lease_ms: number | null }[] }).rows[0]!.lease_ms;
    expect(await leaseOf(pending)).toBeNull();
    expect(await leaseOf(done)).toBe(15_000);

    const [claimed] = await claimJobs(db, 'w', 1, 65_000);
    expect(claimed).toMatchObject({ id: pending, leaseMs: 65_000 });
    await client.close();
  });
});
