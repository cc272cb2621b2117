// Checks that a callback comes from the provider, before anything else reads it: Standard Webhooks
// (webhook-id, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256 of id.timestamp.body>`)
// or a provider's own HMAC header. Comparisons are constant-time; nothing here touches the database.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CallbackVerify } from '../db/schema';

/** The spec's tolerance: a delivery older or further in the future than this is refused as a replay. */
const TIMESTAMP_TOLERANCE_S = 5 * 60;
const WHSEC_PREFIX = 'whsec_';

type Verified = { ok: true; webhookId: string | undefined } | { ok: false; status: 400 | 401; reason: string };

type Headers = Record<string, string | string[] | undefined>;

/** The secret's key bytes: `whsec_<base64>` as the spec writes it (the prefix is optional). */
function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret, 'base64');
}

/** `v1,<base64>` for one delivery: what a provider sends and what we compare against. */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', standardWebhooksKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${digest}`;
}

/** The header value a provider using a plain HMAC sends: prefix + digest of the raw body. */
export function signHmac(config: Extract<CallbackVerify, { hmac: unknown }>['hmac'], secret: string, body: string): string {
  return `${config.prefix ?? ''}${createHmac('sha256', secret).update(body, 'utf8').digest(config.encoding)}`;
}

export function verifyCallback(verify: CallbackVerify, secret: string, headers: Headers, body: string, nowMs = Date.now()): Verified {
  if ('standardWebhooks' in verify) return verifyStandardWebhook(secret, headers, body, nowMs);
  const given = header(headers, verify.hmac.header);
  if (given === undefined) return { ok: false, status: 400, reason: `missing ${verify.hmac.header.toLowerCase()} header` };
  // Hex digits carry no case: some providers send upper case.
  const expected = signHmac(verify.hmac, secret, body);
  const match = verify.hmac.encoding === 'hex' ? sameText(given.toLowerCase(), expected.toLowerCase()) : sameText(given, expected);
  if (!match) return { ok: false, status: 401, reason: 'signature does not match' };
  // Without a delivery id, a replay is caught by the job having its callback already.
  return { ok: true, webhookId: header(headers, 'webhook-id') };
}

function verifyStandardWebhook(secret: string, headers: Headers, body: string, nowMs: number): Verified {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    return { ok: false, status: 400, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 400, reason: 'webhook-timestamp is not a number of seconds' };
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > TIMESTAMP_TOLERANCE_S) {
    return { ok: false, status: 401, reason: 'webhook-timestamp is more than 5 minutes away from now' };
  }
  const expected = signStandardWebhook(secret, id, seconds, body);
  // Several space-separated signatures (the provider rotating its secret): any v1 one may match.
  const match = signatures.split(' ').some((candidate) => candidate.startsWith('v1,') && sameText(candidate, expected));
  return match ? { ok: true, webhookId: id } : { ok: false, status: 401, reason: 'signature does not match' };
}

/** Constant-time for equal lengths; the lengths of a digest are public anyway. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One value; a header sent twice is ambiguous and counts as missing. */
function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}
