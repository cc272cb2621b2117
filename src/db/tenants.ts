// Tenants and their API keys, one statement per function. Keys are looked up by the SHA-256 of the
// key (auth/api-key.ts makes and hashes them); the key itself is never stored.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './client';
import { apiKeys, tenants, type ApiKey, type ApiKeyRole, type Tenant } from './schema';

/** undefined when the name is taken (names are unique). */
export async function insertTenant(db: Db, name: string): Promise<Tenant | undefined> {
  const [tenant] = await db.insert(tenants).values({ name }).onConflictDoNothing({ target: tenants.name }).returning();
  return tenant;
}

/** Ids are uuid columns: anything else would be a database error instead of "no such row". */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findTenant(db: Db, idOrName: string): Promise<Tenant | undefined> {
  const [tenant] = await db
    .select()
    .from(tenants)
    .where(UUID.test(idOrName) ? eq(tenants.id, idOrName) : eq(tenants.name, idOrName));
  return tenant;
}

interface NewApiKey {
  tenantId: string;
  name: string;
  role: ApiKeyRole;
  keyHash: string;
  prefix: string;
}

export async function insertApiKey(db: Db, key: NewApiKey): Promise<ApiKey> {
  const [row] = await db.insert(apiKeys).values(key).returning();
  return row!;
}

/** The unrevoked key with this hash: the one lookup every authenticated request may make. */
export async function findActiveApiKey(db: Db, keyHash: string): Promise<ApiKey | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
  return row;
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/** undefined when the tenant has no such key; revoking twice keeps the first revocation time. */
export async function revokeApiKey(db: Db, tenantId: string, id: string): Promise<ApiKey | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId)))
    .returning();
  return row;
}

export async function touchApiKeys(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length) await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(inArray(apiKeys.id, [...ids]));
}
