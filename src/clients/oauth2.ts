// OAuth2 client credentials (RFC 6749 §4.4) for outbound calls: a token per client, fetched once
// however many jobs need it at the same moment, and reused until shortly before it expires.
import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { readCapped } from './read-capped';

/**
 * A token is renewed this long before it expires: an attempt that starts with it may run for its
 * whole timeout, and the token server's clock may be ahead of ours. Short-lived tokens renew at
 * half their life instead, so they are still reused.
 */
export const TOKEN_REFRESH_MARGIN_MS = 30_000;
/** A hung token server fails the attempts waiting for it (they retry) instead of holding them. */
const TOKEN_REQUEST_TIMEOUT_MS = 10_000;
/** A token answer is a few hundred bytes; anything far larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 65_536;
/** An OAuth error code (RFC 6749 §5.2: `invalid_client`) is worth quoting; free text from the server is not. */
const OAUTH_ERROR_CODE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string | undefined;
}

/** A token request failed; `retryable` when the token server may answer next time (5xx, network). */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface TokenSource {
  /** A token for these credentials, from the cache or from one request shared by every caller. */
  token(grant: ClientCredentials, dispatcher: Dispatcher): Promise<string>;
  /** Forgets `stale` (the upstream refused it); a newer token already fetched is kept. */
  invalidate(grant: ClientCredentials, stale: string): void;
}

interface TokenSourceOptions {
  /** Clock for expiry. @default Date.now */
  now?: () => number;
}

interface Cached {
  token: Promise<string>;
  /** Renew after this time (ms since epoch); Infinity when the server gave no lifetime. */
  renewAt: number;
  /** Set once the request answered, so a failed request is not cached. */
  value?: string;
}

export function createTokenSource(opts: TokenSourceOptions = {}): TokenSource {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Cached>();
  // The secret is part of the key: two tenants naming the same token URL and client id must not
  // share a token unless they also hold the same secret (a wrong secret would get the other's token).
  // Hashed so the map's keys do not hold it in clear.
  const keyOf = (g: ClientCredentials) =>
    JSON.stringify([g.tokenUrl, g.clientId, g.scope ?? '', createHash('sha256').update(g.clientSecret).digest('base64')]);

  return {
    token(grant, dispatcher) {
      const key = keyOf(grant);
      const cached = cache.get(key);
      if (cached && (cached.value === undefined || now() < cached.renewAt)) return cached.token;
      const entry: Cached = { renewAt: Infinity, token: Promise.resolve('') };
      entry.token = fetchToken(grant, dispatcher).then(
        ({ token, lifetimeMs }) => {
          entry.value = token;
          if (lifetimeMs !== undefined) entry.renewAt = now() + lifetimeMs - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
          return token;
        },
        (err: unknown) => {
          if (cache.get(key) === entry) cache.delete(key);
          throw err;
        },
      );
      cache.set(key, entry);
      return entry.token;
    },
    invalidate(grant, stale) {
      const key = keyOf(grant);
      if (cache.get(key)?.value === stale) cache.delete(key);
    },
  };
}

/**
 * The Basic credentials of the token request: client id and secret form-encoded first (RFC 6749
 * §2.3.1: the method every authorization server must support). auth.ts scrubs exactly this value.
 */
export function clientBasicCredentials(grant: ClientCredentials): string {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return Buffer.from(`${form(grant.clientId)}:${form(grant.clientSecret)}`, 'utf8').toString('base64');
}

async function fetchToken(grant: ClientCredentials, dispatcher: Dispatcher): Promise<{ token: string; lifetimeMs?: number }> {
  const basic = clientBasicCredentials(grant);
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(grant.scope ? { scope: grant.scope } : {}) });
  const failed = (why: string, retryable: boolean, cause?: unknown) =>
    new TokenError(`OAuth2 token request to ${grant.tokenUrl} failed: ${why}`, retryable, { cause });
  let status: number;
  let text: string;
  try {
    const res = await request(grant.tokenUrl, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
      body: body.toString(),
      signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
    });
    status = res.statusCode;
    const read = await readCapped(res.body, MAX_TOKEN_RESPONSE_BYTES);
    if (read.exceeded) throw failed(`answer exceeds ${MAX_TOKEN_RESPONSE_BYTES} bytes`, false);
    text = read.text;
  } catch (err) {
    if (err instanceof TokenError) throw err;
    throw failed((err as Error).message, true, err);
  }
  const answer = parseJsonObject(text);
  if (status < 200 || status > 299) {
    const code = typeof answer?.error === 'string' && OAUTH_ERROR_CODE.test(answer.error) ? ` (${answer.error})` : '';
    throw failed(`HTTP ${status}${code}`, status >= 500 || status === 408 || status === 429);
  }
  const token = answer?.access_token;
  if (typeof token !== 'string' || token === '') throw failed('the answer has no access_token', false);
  const seconds = Number(answer?.expires_in);
  return Number.isFinite(seconds) && seconds > 0 ? { token, lifetimeMs: seconds * 1000 } : { token };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
