// Row-level security behind the application's tenant filters: inside withTenant, a statement with
// no tenant filter at all (as a bug would write it) still reads, changes and creates only the scoped
// tenant's jobs and attempts, while the owner's connection (the worker's) sees every tenant.
// On the real server (one database per file) and on embedded PGlite, which has roles too.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Db } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { selectRows } from '../../src/db/rows';
import { jobAttempts } from '../../src/db/schema';
import { withTenant } from '../../src/db/tenant-scope';
import { insertTenant } from '../../src/db/tenants';
import { enqueueJob } from '../../src/queue';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { newJob } from '../helpers/jobs';

/** The database's own message: drizzle wraps it in "Failed query: …" with the statement. */
function pgMessage(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'accepted',
    (err: unknown) => pgMessage(err),
  );
}

function rlsCases(open: () => Promise<Database>) {
  let database: Database;
  let db: Db;
  let a: string;
  let b: string;
  let bJob: string;

  beforeAll(async () => {
    database = await open();
    db = database.db;
    a = (await insertTenant(db, 'rls-a'))!.id;
    b = (await insertTenant(db, 'rls-b'))!.id;
    const jobsOfA = await Promise.all([1, 2].map(async (n) => (await enqueueJob(db, newJob({ tenantId: a, input: { n } }))).job.id));
    bJob = (await enqueueJob(db, newJob({ tenantId: b, input: { n: 3 } }))).job.id;
    const finished = new Date();
    await db.insert(jobAttempts).values(
      [jobsOfA[0]!, bJob].map((jobId) => ({ jobId, attempt: 1, startedAt: finished, finishedAt: finished, durationMs: 1, outcome: 'success' as const })),
    );
  });

  it('an unfiltered select sees only the scoped tenant’s jobs and attempts', async () => {
    const seen = await withTenant(db, a, async (tx) => ({
      jobs: await selectRows<{ tenantId: string }>(tx, sql`select tenant_id::text as "tenantId" from jobs`),
      attempts: await selectRows<{ jobId: string }>(tx, sql`select job_id::text as "jobId" from job_attempts`),
    }));
    expect(seen.jobs.map((r) => r.tenantId)).toEqual([a, a]);
    expect(seen.attempts).toHaveLength(1);
    expect(seen.attempts[0]!.jobId).not.toBe(bJob);
    // The owner's connection, as the worker uses it, still crosses tenants.
    const all = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from jobs where tenant_id in (${a}, ${b})`);
    expect(all[0]!.n).toBe(3);
  });

  it('an unfiltered update cannot touch another tenant’s job, nor move a job to another tenant', async () => {
    const changed = await withTenant(db, a, (tx) =>
      selectRows<{ tenantId: string }>(tx, sql`update jobs set last_error = 'rls' returning tenant_id::text as "tenantId"`),
    );
    expect(changed.map((r) => r.tenantId)).toEqual([a, a]);
    const other = await selectRows<{ lastError: string | null }>(db, sql`select last_error as "lastError" from jobs where id = ${bJob}`);
    expect(other[0]!.lastError).toBeNull();
    expect(await refusal(withTenant(db, a, (tx) => tx.execute(sql`update jobs set tenant_id = ${b}`)))).toMatch(/row-level security/);
  });

  it('an insert with another tenant’s id is refused', async () => {
    const insert = sql`insert into jobs (tenant_id, service, operation, input, max_attempts) values (${b}, 'mock', 'echo', '{}'::jsonb, 1)`;
    expect(await refusal(withTenant(db, a, (tx) => tx.execute(insert)))).toMatch(/violates row-level security policy/);
    const ofB = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from jobs where tenant_id = ${b}`);
    expect(ofB[0]!.n).toBe(1);
  });

  it('the scope ends with its transaction: the connection goes back to the owner with no tenant', async () => {
    const [inside] = await withTenant(db, a, (tx) => selectRows<{ role: string }>(tx, sql`select current_user::text as role`));
    expect(inside!.role).toBe('callgate_tenant');
    const after = await selectRows<{ role: string; tenant: string | null }>(
      db,
      sql`select current_user::text as role, nullif(current_setting('callgate.tenant_id', true), '') as tenant`,
    );
    expect(after.every((r) => r.role !== 'callgate_tenant' && r.tenant === null)).toBe(true);
  });
}

describe('row-level security on the real server', () => {
  let t: TestDatabase;
  afterAll(async () => t?.drop());
  rlsCases(async () => {
    t = await createTestDatabase();
    return t.database;
  });
});

describe('row-level security on embedded PGlite', () => {
  let database: Database | undefined;
  afterAll(async () => database?.close());
  rlsCases(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await migrate(database, undefined);
    return database;
  });
});
