// A job's return address: `<public URL>/callbacks/<token>`, the token 32 random bytes (256 bits,
// unguessable) in base64url. Only its SHA-256 is stored, so a database dump holds no usable address.
import { createHash, randomBytes } from 'node:crypto';

export const CALLBACK_PATH_PREFIX = '/callbacks/';
const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded: what a token in a path must look like before it is even hashed. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newCallbackToken(): { token: string; hash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashCallbackToken(token) };
}

export function hashCallbackToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isCallbackToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/** The public URL's own path is kept as a prefix (a gateway behind a path-routing proxy). */
export function returnAddress(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH_PREFIX}${token}`;
}
