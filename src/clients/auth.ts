// Turns a service's auth config into request headers. Secrets are looked up by environment
// variable name on every attempt, so a rotated secret applies at once and none is ever stored.
import type { Dispatcher } from 'undici';
import { tenantSecretPrefix } from '../registry/tenant-secrets';
import type { AuthConfig, ServiceDef } from '../registry/types';
import { clientBasicCredentials, TokenError, type ClientCredentials, type TokenSource } from './oauth2';

/** Resolves an environment variable name to its value; the only way a secret reaches a client. */
export type SecretLookup = (envName: string) => string | undefined;

export interface AuthHeaders {
  headers: Record<string, string>;
  /** Lower-case names of the headers that carry a secret, for the redacted request summary. */
  redact: string[];
  /** Every secret value sent (resolved env values, their Basic form, tokens), scrubbed from what is stored. */
  secrets: string[];
  /**
   * For OAuth2: called once when the upstream answers 401. Drops the refused token and resolves
   * new headers with a fresh one, for a single retry of the call.
   */
  renew?: () => Promise<AuthHeaders>;
}

/** The auth cannot be resolved: an unset variable (`retryable` false) or a failed token request. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface AuthResolverOptions {
  secret: SecretLookup;
  tokens: TokenSource;
}

/**
 * Throws AuthError when a named environment variable is unset (or empty: an empty token can only
 * earn a 401, and the message points at the real cause instead) or a token cannot be had.
 */
export function createAuthResolver(opts: AuthResolverOptions) {
  return async function authHeaders(service: ServiceDef, dispatcher: Dispatcher): Promise<AuthHeaders> {
    const auth = service.auth;
    const read = secretReader(opts.secret, service);
    if (auth === undefined) return { headers: {}, redact: [], secrets: [] };
    if (!('oauth2ClientCredentials' in auth)) return staticHeaders(auth, read);
    const config = auth.oauth2ClientCredentials;
    const grant: ClientCredentials = {
      tokenUrl: config.tokenUrl,
      clientId: read(config.clientIdEnv),
      clientSecret: read(config.clientSecretEnv),
      scope: config.scope,
    };
    const withToken = async (): Promise<AuthHeaders> => {
      let token: string;
      try {
        token = await opts.tokens.token(grant, dispatcher);
      } catch (err) {
        if (err instanceof TokenError) throw new AuthError(err.message, err.retryable, { cause: err.cause });
        throw err;
      }
      return {
        headers: { authorization: `Bearer ${token}` },
        redact: ['authorization'],
        secrets: [token, grant.clientSecret, clientBasicCredentials(grant)],
        renew: async () => {
          opts.tokens.invalidate(grant, token);
          const renewed = await withToken();
          return { ...renewed, renew: undefined };
        },
      };
    };
    return withToken();
  };
}

function secretReader(secret: SecretLookup, service: ServiceDef) {
  const serviceName = service.name;
  return (envName: string): string => {
    // Checked at every read, not only at registration: the rule holds whatever path made the service.
    if (service.tenantId !== undefined && !envName.startsWith(tenantSecretPrefix(service.tenantId))) {
      throw new AuthError(`service ${serviceName} may only read variables named ${tenantSecretPrefix(service.tenantId)}*`, false);
    }
    const value = secret(envName);
    if (value === undefined || value === '') {
      throw new AuthError(`environment variable ${envName} (auth of service ${serviceName}) is not set`, false);
    }
    return value;
  };
}

type StaticAuth = Exclude<AuthConfig, { oauth2ClientCredentials: unknown }>;

function staticHeaders(auth: StaticAuth, read: (envName: string) => string): AuthHeaders {
  if ('bearerTokenEnv' in auth) {
    const token = read(auth.bearerTokenEnv);
    return { headers: { authorization: `Bearer ${token}` }, redact: ['authorization'], secrets: [token] };
  }
  if ('apiKeyHeader' in auth) {
    const name = auth.apiKeyHeader.name.toLowerCase();
    const value = read(auth.apiKeyHeader.valueEnv);
    return { headers: { [name]: value }, redact: [name], secrets: [value] };
  }
  const password = read(auth.basic.passwordEnv);
  const basic = Buffer.from(`${read(auth.basic.usernameEnv)}:${password}`, 'utf8').toString('base64');
  return { headers: { authorization: `Basic ${basic}` }, redact: ['authorization'], secrets: [password, basic] };
}
