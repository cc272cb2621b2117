// The admin API's statements on a real database: API services stored per tenant and read back
// after the file's, unique names, owner-only writes, mode switches, and deletes refused while jobs are open.
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, jobs, tenants } from '../../src/db/schema';
import {
  countOpenJobs,
  deleteApiService,
  insertApiService,
  loadAllServices,
  parseServices,
  replaceApiService,
  setServiceMode,
} from '../../src/registry';
import { useTestDatabase } from '../helpers/db';
import { seedJobs } from '../helpers/stats-seed';

const t = useTestDatabase();
const OTHER = '22222222-2222-2222-2222-222222222222';
/** No registry follows this database: the writes' NOTIFY origin is only a label here. */
const ORIGIN = 'test';

const [pay, fileMock] = parseServices(`
services:
  - name: pay
    kind: http
    baseUrl: http://127.0.0.1:9/v1
    auth: { bearerTokenEnv: PAY_TOKEN }
    timeoutMs: 2000
    operations:
      - { name: charge, method: POST, path: /charges, input: { type: object }, timeoutMs: 500 }
      - { name: get, method: GET, path: '/charges/{id}', input: { type: object, properties: { id: { type: string } } } }
  - name: mock
    kind: mock
    operations: [{ name: echo, mock: { latencyMs: [1, 2] } }]`);

describe('API services in the table', () => {
  it('stores a service for its tenant and reads it back unchanged, after the file services', async () => {
    expect(await insertApiService(t.database.db, DEFAULT_TENANT_ID, { ...pay!, source: 'api' }, ORIGIN)).toBe(true);
    const { defs, shadowed } = await loadAllServices(t.database.db, [fileMock!]);
    expect(defs).toEqual([fileMock, { ...pay, source: 'api', tenantId: DEFAULT_TENANT_ID }]);
    expect(shadowed).toEqual([]);
  });

  it('keeps names unique across tenants, and lets only the owner replace or delete', async () => {
    await t.database.db.insert(tenants).values({ id: OTHER, name: 'other' });
    expect(await insertApiService(t.database.db, OTHER, { ...pay!, source: 'api' }, ORIGIN)).toBe(false);
    expect(await replaceApiService(t.database.db, OTHER, { ...pay!, timeoutMs: 1 }, ORIGIN)).toBe(false);
    expect(await deleteApiService(t.database.db, OTHER, 'pay', ORIGIN)).toBe(false);
    expect(await replaceApiService(t.database.db, DEFAULT_TENANT_ID, { ...pay!, operations: [pay!.operations[0]!] }, ORIGIN)).toBe(true);
    const { defs } = await loadAllServices(t.database.db, []);
    expect(defs[0]?.operations.map((o) => o.name)).toEqual(['charge']);
  });

  it('a file service of the same name shadows the API one; mode switches apply to both', async () => {
    await setServiceMode(t.database.db, 'pay', 'mock', ORIGIN);
    await setServiceMode(t.database.db, 'mock', 'mock', ORIGIN);
    const { defs, shadowed } = await loadAllServices(t.database.db, [fileMock!, { ...fileMock!, name: 'pay' }]);
    expect(defs.map((d) => [d.name, d.source, d.mode])).toEqual([
      ['mock', undefined, 'mock'],
      ['pay', undefined, 'mock'],
    ]);
    expect(shadowed).toEqual(['pay']);
    await setServiceMode(t.database.db, 'mock', 'real', ORIGIN);
    expect((await loadAllServices(t.database.db, [fileMock!])).defs[0]?.mode).toBeUndefined();
  });

  it('refuses to delete while a job is open, then deletes the service and its mode', async () => {
    await seedJobs(t.database.db, [
      { service: 'pay', operation: 'charge', status: 'pending', createdAgo: 1000 },
      { service: 'pay', operation: 'charge', status: 'succeeded', createdAgo: 1000, completedAgo: 500 },
    ]);
    expect(await countOpenJobs(t.database.db, 'pay')).toBe(1);
    expect(await deleteApiService(t.database.db, DEFAULT_TENANT_ID, 'pay', ORIGIN)).toBe(false);
    await t.database.db.update(jobs).set({ status: 'cancelled' }).where(and(eq(jobs.service, 'pay'), eq(jobs.status, 'pending')));
    expect(await deleteApiService(t.database.db, DEFAULT_TENANT_ID, 'pay', ORIGIN)).toBe(true);
    expect((await loadAllServices(t.database.db, [])).defs).toEqual([]);
  });
});
