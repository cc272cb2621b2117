// `callgate tenants create` and `callgate keys create`: the way into a production gateway before
// any admin key exists. The printed key works as a Bearer key with exactly its role; mistakes are
// usage (2), not found (3) or refused (4), and nothing is created by them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key';
import { findActiveApiKey, findTenant, listApiKeys } from '../../src/db/tenants';
import { buildTestApp, type TestApp } from '../helpers/app';
import { runCliProcess } from '../helpers/cli-process';
import { createDatabaseUrl, hasPgServer, pgSkipReason } from '../helpers/db';
import { gqlAs } from '../helpers/keys';

describe.skipIf(!hasPgServer())(`callgate keys and tenants ${pgSkipReason()}`, { timeout: 180_000 }, () => {
  let target: Awaited<ReturnType<typeof createDatabaseUrl>>;
  let t: TestApp;
  const cli = (...args: string[]) => runCliProcess(args, { DATABASE_URL: target.url, CALLGATE_DATA_DIR: undefined });

  beforeAll(async () => {
    target = await createDatabaseUrl();
    t = await buildTestApp({ services: 'services:\n  - { name: mock, kind: mock, operations: [{ name: echo }] }\n', databaseUrl: target.url!, env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  it('creates a tenant and a key that works with its role only', async () => {
    const tenant = await cli('tenants', 'create', 'acme', '--json');
    expect(tenant, tenant.stderr).toMatchObject({ code: 0 });
    const { id: tenantId } = JSON.parse(tenant.stdout) as { id: string };

    const [created, asText] = await Promise.all([
      cli('keys', 'create', '--tenant', 'acme', '--role', 'client', '--name', 'frontend', '--json'),
      cli('keys', 'create', '--tenant', tenantId, '--role', 'ops'),
    ]);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    const issued = JSON.parse(created.stdout) as { key: string; tenant: string; role: string; name: string };
    expect(issued).toMatchObject({ tenant: 'acme', role: 'client', name: 'frontend' });
    expect(issued.key).toMatch(/^cg_live_/);
    expect(asText.stdout).toMatch(/^key\s+cg_live_\S+$/m);
    expect(asText.stdout).toContain('cannot be shown again');

    // Stored as a hash only.
    const row = await findActiveApiKey(t.app.database.db, hashApiKey(issued.key));
    expect(row).toMatchObject({ tenantId, role: 'client', name: 'frontend' });
    expect(JSON.stringify(row)).not.toContain(issued.key);

    const jobs = await gqlAs(t, issued.key, '{ jobs(first: 1) { edges { node { id } } } }');
    expect(jobs).toMatchObject({ status: 200, body: { data: { jobs: { edges: [] } } } });
    const queue = await gqlAs(t, issued.key, '{ queue { pending } }');
    expect(queue.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gqlAs(t, undefined, '{ jobs(first: 1) { edges { node { id } } } }')).status).toBe(401);
  });

  it('refuses a bad role, an unknown tenant and a taken name, creating nothing', async () => {
    const acme = (await findTenant(t.app.database.db, 'acme'))!;
    const keysBefore = (await listApiKeys(t.app.database.db, acme.id)).length;
    const [badRole, noRole, unknownTenant, taken, badName] = await Promise.all([
      cli('keys', 'create', '--tenant', 'acme', '--role', 'root'),
      cli('keys', 'create', '--tenant', 'acme'),
      cli('keys', 'create', '--tenant', 'nobody', '--role', 'admin'),
      cli('tenants', 'create', 'acme'),
      cli('tenants', 'create', 'bad name!'),
    ]);
    expect(badRole).toMatchObject({ code: 2, stdout: '' });
    expect(badRole.stderr).toContain('--role must be one of client, ops, admin, got "root"');
    expect(noRole.code).toBe(2);
    expect(unknownTenant).toMatchObject({ code: 3, stdout: '' });
    expect(unknownTenant.stderr).toContain('no tenant "nobody"');
    expect(taken).toMatchObject({ code: 4 });
    expect(taken.stderr).toContain('tenant "acme" already exists');
    expect(badName.code).toBe(2);
    expect(await listApiKeys(t.app.database.db, acme.id)).toHaveLength(keysBefore);
    expect(await findTenant(t.app.database.db, 'bad name!')).toBeUndefined();
  });
});
