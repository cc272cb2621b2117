// The embedded database's admin key: a new user's `npm start` needs no setup, yet sees how keys
// work. Created on the first start, kept in the data directory (owner-only), printed at every start
// and put into GraphiQL's headers. Never on a shared server or in production.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/client';
import { DEFAULT_TENANT_ID } from '../db/schema';
import { findActiveApiKey } from '../db/tenants';
import { hashApiKey, isWellFormedApiKey, issueApiKey } from './api-key';

export const DEV_KEY_FILE = 'dev-admin-key';

/** The stored key while it is still active; otherwise a new admin key of the default tenant, stored. */
export async function ensureDevKey(db: Db, dataDir: string): Promise<string> {
  const file = join(dataDir, DEV_KEY_FILE);
  const stored = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (isWellFormedApiKey(stored) && (await findActiveApiKey(db, hashApiKey(stored)))) return stored;
  const { key } = await issueApiKey(db, { tenantId: DEFAULT_TENANT_ID, role: 'admin', name: 'dev (embedded database)' });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  // writeFile's mode only applies to a new file; a revoked key's file keeps its old mode otherwise.
  await chmod(file, 0o600);
  return key;
}
