// API keys: `cg_live_` and 32 random bytes (base64url). Only the SHA-256 of a key is stored, with
// its first characters as a prefix that names it in logs; issueApiKey returns the key this once.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client';
import { insertApiKey } from '../db/tenants';
import type { ApiKey, ApiKeyRole } from '../db/schema';

const API_KEY_PREFIX = 'cg_live_';
/** 256 bits: far beyond guessing, and a plain hash is enough (no salt or slow hash needed for random keys). */
const KEY_BYTES = 32;
/** `cg_live_` and 4 characters: tells a tenant's keys apart in a log without weakening them (24 bits of 256). */
const VISIBLE_CHARS = API_KEY_PREFIX.length + 4;
const KEY_SHAPE = /^cg_live_[A-Za-z0-9_-]{43}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A string that cannot be one of our keys is refused without a database lookup. */
export function isWellFormedApiKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

function visiblePrefix(key: string): string {
  return key.slice(0, VISIBLE_CHARS);
}

interface IssuedKey {
  /** Shown to the caller once; nowhere else. */
  key: string;
  row: ApiKey;
}

export async function issueApiKey(db: Db, opts: { tenantId: string; role: ApiKeyRole; name: string }): Promise<IssuedKey> {
  const key = API_KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
  const row = await insertApiKey(db, { ...opts, keyHash: hashApiKey(key), prefix: visiblePrefix(key) });
  return { key, row };
}
