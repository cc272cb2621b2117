// The embedded database's dev admin key: created once, kept owner-only in the data directory,
// the same key on every later start, and a fresh one when the stored key was revoked.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key';
import { DEV_KEY_FILE, ensureDevKey } from '../../src/auth/dev-key';
import { DEFAULT_TENANT_ID } from '../../src/db/schema';
import { findActiveApiKey, revokeApiKey } from '../../src/db/tenants';
import { useTestDatabase } from '../helpers/db';

const t = useTestDatabase();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callgate-devkey-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

it('creates an admin key once, stores it owner-only, and returns the same key afterwards', async () => {
  const key = await ensureDevKey(t.database.db, dir);
  expect(key).toMatch(/^cg_live_/);
  const row = await findActiveApiKey(t.database.db, hashApiKey(key));
  expect(row).toMatchObject({ tenantId: DEFAULT_TENANT_ID, role: 'admin' });
  const file = join(dir, DEV_KEY_FILE);
  expect((await readFile(file, 'utf8')).trim()).toBe(key);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect(await ensureDevKey(t.database.db, dir)).toBe(key);
});

it('replaces a revoked or unreadable stored key with a new active one', async () => {
  const first = await ensureDevKey(t.database.db, dir);
  const row = await findActiveApiKey(t.database.db, hashApiKey(first));
  await revokeApiKey(t.database.db, DEFAULT_TENANT_ID, row!.id);
  const second = await ensureDevKey(t.database.db, dir);
  expect(second).not.toBe(first);
  expect(await findActiveApiKey(t.database.db, hashApiKey(second))).toMatchObject({ tenantId: DEFAULT_TENANT_ID, role: 'admin' });

  await writeFile(join(dir, DEV_KEY_FILE), 'not a key\n');
  const third = await ensureDevKey(t.database.db, dir);
  expect(third).toMatch(/^cg_live_/);
  expect(third).not.toBe(second);
});
