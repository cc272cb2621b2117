// Who is calling: a tenant and a role, from an API key (or, outside production, the keyless
// development caller). Roles are ordered: ops may do all a client may, admin all ops may.
import { API_KEY_ROLE, DEFAULT_TENANT_ID, type ApiKeyRole } from '../db/schema';

export interface Caller {
  tenantId: string;
  role: ApiKeyRole;
  /** null for the keyless development caller. */
  keyId: string | null;
  /** The key's visible prefix, for logs. */
  keyPrefix: string | null;
}

/** Keyless requests outside production: the platform tenant as admin, so GraphiQL and `npm start` work with no setup. */
export const DEV_CALLER: Caller = Object.freeze({ tenantId: DEFAULT_TENANT_ID, role: 'admin', keyId: null, keyPrefix: null });

export function hasRole(caller: Caller, role: ApiKeyRole): boolean {
  return API_KEY_ROLE.indexOf(caller.role) >= API_KEY_ROLE.indexOf(role);
}

/** An admin of the platform's own tenant: may create tenants and keys for any tenant. */
export function isPlatformAdmin(caller: Caller): boolean {
  return caller.role === 'admin' && caller.tenantId === DEFAULT_TENANT_ID;
}
