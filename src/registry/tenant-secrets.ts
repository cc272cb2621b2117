// Which environment variables a service's auth may name. The operator's file may name any; a
// service a tenant registered through the API only its own tenant's, `CALLGATE_SECRET_<tenant id,
// hex, upper case>_*`: otherwise a tenant admin could name DATABASE_URL (or another tenant's token)
// as a bearer token and have the gateway send it to a server of the tenant's choosing.
import type { AuthConfig } from './types';

export function tenantSecretPrefix(tenantId: string): string {
  return `CALLGATE_SECRET_${tenantId.replaceAll('-', '').toUpperCase()}_`;
}

/** Every variable the auth config names. */
export function authEnvNames(auth: AuthConfig): string[] {
  if ('bearerTokenEnv' in auth) return [auth.bearerTokenEnv];
  if ('apiKeyHeader' in auth) return [auth.apiKeyHeader.valueEnv];
  if ('basic' in auth) return [auth.basic.usernameEnv, auth.basic.passwordEnv];
  return [auth.oauth2ClientCredentials.clientIdEnv, auth.oauth2ClientCredentials.clientSecretEnv];
}

/** The names a tenant's service may not read; empty for the operator's (tenantId undefined). */
export function forbiddenEnvNames(auth: AuthConfig | undefined, tenantId: string | undefined): string[] {
  if (!auth || tenantId === undefined) return [];
  const prefix = tenantSecretPrefix(tenantId);
  return authEnvNames(auth).filter((name) => !name.startsWith(prefix));
}
