// Turns a request's credential into a Caller, or refuses it. Key lookups are cached for
// KEY_CACHE_MS, so a busy key costs one indexed read per 5 s per instance, and lastUsedAt is
// written at most once a minute per key: keys cost the request path almost nothing.
import type { Db } from '../db/client';
import { findActiveApiKey, touchApiKeys } from '../db/tenants';
import type { Logger } from '../logger';
import { hashApiKey, isWellFormedApiKey } from './api-key';
import { DEV_CALLER, type Caller } from './caller';
import type { Credential } from './credentials';

/**
 * How long a looked-up key (or a refusal) is trusted: a key revoked on another instance stops
 * working within this time. Revocation on the same instance applies at once (forget()).
 */
const KEY_CACHE_MS = 5_000;
/** lastUsedAt is a "still in use?" hint for admins: minute precision is plenty, and spares a write per request. */
const LAST_USED_WRITE_MS = 60_000;
/** Bounds the cache against a flood of distinct bogus keys; past it the cache starts over. */
const MAX_CACHED_KEYS = 10_000;

type Admission =
  | { ok: true; caller: Caller }
  /** missing: no key where one is required; invalid: malformed, unknown or revoked. */
  | { ok: false; reason: 'missing' | 'invalid' };

export interface Authenticator {
  admit(credential: Credential): Promise<Admission>;
  /** Drops a revoked key from this instance's cache, so it stops working here at once. */
  forget(keyId: string): void;
}

interface CacheEntry {
  caller: Promise<Caller | null>;
  until: number;
  /** Set once the lookup has answered (undefined: no such key). */
  keyId?: string | undefined;
}

interface AuthenticatorOptions {
  db: Db;
  log: Logger;
  /** Production: a request without a key is refused. Otherwise it runs as DEV_CALLER. */
  requireKeys: boolean;
}

export function createAuthenticator({ db, log, requireKeys }: AuthenticatorOptions): Authenticator {
  const cache = new Map<string, CacheEntry>();
  const lastWritten = new Map<string, number>();

  const lookUp = (key: string): Promise<Caller | null> => {
    const hash = hashApiKey(key);
    const now = Date.now();
    const hit = cache.get(hash);
    if (hit && hit.until > now) return hit.caller;
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    const entry: CacheEntry = {
      until: now + KEY_CACHE_MS,
      caller: findActiveApiKey(db, hash).then((row) => {
        entry.keyId = row?.id;
        return row ? { tenantId: row.tenantId, role: row.role, keyId: row.id, keyPrefix: row.prefix } : null;
      }),
    };
    const { caller } = entry;
    cache.set(hash, entry);
    // A failed read is not an answer: the next request asks the database again.
    caller.catch(() => cache.delete(hash));
    return caller;
  };

  const noteUse = (keyId: string) => {
    const now = Date.now();
    if (now - (lastWritten.get(keyId) ?? 0) < LAST_USED_WRITE_MS) return;
    lastWritten.set(keyId, now);
    touchApiKeys(db, [keyId]).catch((err: unknown) => log.warn({ err, keyId }, 'could not record when an API key was last used'));
  };

  return {
    async admit(credential) {
      if (credential.kind === 'none') return requireKeys ? { ok: false, reason: 'missing' } : { ok: true, caller: DEV_CALLER };
      if (credential.kind === 'malformed' || !isWellFormedApiKey(credential.key)) return { ok: false, reason: 'invalid' };
      const caller = await lookUp(credential.key);
      if (!caller) return { ok: false, reason: 'invalid' };
      noteUse(caller.keyId!);
      return { ok: true, caller };
    },
    forget(keyId) {
      // Lookups still in flight may have read the key before it was revoked: dropped too.
      for (const [hash, entry] of cache) if (entry.keyId === keyId || !('keyId' in entry)) cache.delete(hash);
    },
  };
}
