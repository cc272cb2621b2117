// Which environment variables a service's auth may name. The operator's file may name any; a
// service a tenant registered through the API only its own tenant's, `CALLGATE_SECRET_<tenant id,
// hex, upper case>_*`: otherwise a tenant admin could name DATABASE_URL (or another tenant's token)
// as a bearer token and have the gateway send it to a server of the tenant's choosing.
import type { AuthConfig, ServiceDef } from './types';
import type { CallbackVerify } from '../db/schema';

export function tenantSecretPrefix(tenantId: string): string {
  return `CALLGATE_SECRET_${tenantId.replaceAll('-', '').toUpperCase()}_`;
}

/** Every variable the auth config names. */
function authEnvNames(auth: AuthConfig): string[] {
  if ('bearerTokenEnv' in auth) return [auth.bearerTokenEnv];
  if ('apiKeyHeader' in auth) return [auth.apiKeyHeader.valueEnv];
  if ('basic' in auth) return [auth.basic.usernameEnv, auth.basic.passwordEnv];
  return [auth.oauth2ClientCredentials.clientIdEnv, auth.oauth2ClientCredentials.clientSecretEnv];
}

/** The variable holding the secret an async operation's callbacks are verified with. */
export function callbackSecretEnv(verify: CallbackVerify): string {
  return 'standardWebhooks' in verify ? verify.standardWebhooks.secretEnv : verify.hmac.secretEnv;
}

/** The names a tenant's service may not read; empty for the operator's (tenantId undefined). */
export function forbiddenEnvNames(auth: AuthConfig | undefined, tenantId: string | undefined): string[] {
  if (!auth || tenantId === undefined) return [];
  return notTenants(authEnvNames(auth), tenantId);
}

/** The callback secrets of a tenant's service that are not the tenant's, with their operations. */
export function forbiddenCallbackEnvNames(def: ServiceDef, tenantId: string): Array<{ operation: string; name: string }> {
  return def.operations.flatMap((op) =>
    op.async ? notTenants([callbackSecretEnv(op.async.verify)], tenantId).map((name) => ({ operation: op.name, name })) : [],
  );
}

/** Whether a service may read the variable: any for the operator's file, its own for a tenant's. */
export function mayReadEnv(tenantId: string | undefined, name: string): boolean {
  return tenantId === undefined || name.startsWith(tenantSecretPrefix(tenantId));
}

function notTenants(names: string[], tenantId: string): string[] {
  return names.filter((name) => !mayReadEnv(tenantId, name));
}
