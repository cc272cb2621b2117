// Turns a service's auth config into request headers. Secrets are looked up by environment
// variable name on every attempt, so a rotated secret applies at once and none is ever stored.
import type { AuthConfig } from '../registry/types';

/** Resolves an environment variable name to its value; the only way a secret reaches a client. */
export type SecretLookup = (envName: string) => string | undefined;

export interface AuthHeaders {
  headers: Record<string, string>;
  /** Lower-case names of the headers that carry a secret, for the redacted request summary. */
  redact: string[];
}

/**
 * Throws when a named environment variable is unset (or empty: an empty token can only earn a
 * 401, and the message points at the real cause instead).
 */
export function authHeaders(auth: AuthConfig | undefined, secret: SecretLookup, serviceName: string): AuthHeaders {
  const read = (envName: string): string => {
    const value = secret(envName);
    if (value === undefined || value === '') {
      throw new Error(`environment variable ${envName} (auth of service ${serviceName}) is not set`);
    }
    return value;
  };
  if (auth === undefined) return { headers: {}, redact: [] };
  if ('bearerTokenEnv' in auth) {
    return { headers: { authorization: `Bearer ${read(auth.bearerTokenEnv)}` }, redact: ['authorization'] };
  }
  if ('apiKeyHeader' in auth) {
    const name = auth.apiKeyHeader.name.toLowerCase();
    return { headers: { [name]: read(auth.apiKeyHeader.valueEnv) }, redact: [name] };
  }
  const credentials = `${read(auth.basic.usernameEnv)}:${read(auth.basic.passwordEnv)}`;
  return {
    headers: { authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` },
    redact: ['authorization'],
  };
}
