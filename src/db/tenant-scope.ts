// withTenant: runs the API's tenant-scoped statements in a transaction as `callgate_tenant` with
// `callgate.tenant_id` set, so row-level security (drizzle/0008_rls.sql) backs up the tenant filter
// every query in src/queue already carries: a query that forgot it still sees one tenant's rows.
import { sql } from 'drizzle-orm';
import type { Db } from './client';

/** The role the policies apply to; the owner's connection (worker, sweeper, CLI) bypasses them. */
const TENANT_ROLE = 'callgate_tenant';

/**
 * Both settings are transaction-local (`is_local = true`, like SET LOCAL): they end with the
 * transaction, so a pooled connection goes back as the owner with no tenant. One statement sets
 * both, leaving BEGIN and COMMIT as the only other round trips the scope adds.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${TENANT_ROLE}, true), set_config('callgate.tenant_id', ${tenantId}, true)`);
    return fn(tx);
  });
}

/** withTenant bound to one tenant: what the GraphQL context hands its resolvers. */
export type TenantScope = <T>(fn: (tx: Db) => Promise<T>) => Promise<T>;

export function tenantScope(db: Db, tenantId: string): TenantScope {
  return (fn) => withTenant(db, tenantId, fn);
}
