// The `async:` block of an operation and the mock's `callback:`, as services.yaml and the admin API
// declare them: checked here once, so the worker and the callback route can trust every field.
import { z } from 'zod';
import { DurationError, parseDuration } from '../duration';
import { BODY_METHODS } from './types';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
/** A top-level property of the request body. */
const bodyField = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'must be a property name (letters, digits, _ and -)');
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name (letters, digits and -)');
/** RFC 6901: empty (the whole document) or `/`-separated tokens with `~0`/`~1` as the only escapes. */
const jsonPointer = z.string().regex(/^(\/([^~]|~[01])*)*$/, 'must be a JSON Pointer like /status or /data/id');

/** A callback deadline under a second cannot be met; past 30 days the job should be polled instead. */
const MIN_CALLBACK_TIMEOUT_MS = 1_000;
const timeout = z.string().superRefine((value, ctx) => {
  try {
    parseDuration(value, { minMs: MIN_CALLBACK_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

const verify = z.union([
  z.strictObject({ standardWebhooks: z.strictObject({ secretEnv: envName }) }),
  z.strictObject({
    hmac: z.strictObject({
      header: headerName,
      secretEnv: envName,
      algorithm: z.literal('sha256'),
      encoding: z.enum(['hex', 'base64']),
      /** Text before the digest in the header, like `sha256=` (GitHub). */
      prefix: z.string().regex(/^[\x21-\x7e]{0,32}$/, 'must be up to 32 visible ASCII characters').optional(),
    }),
  }),
]);

/** Headers the gateway or HTTP itself sets: the return address may not replace one. */
const GATEWAY_HEADERS = new Set([
  'accept',
  'authorization',
  'connection',
  'content-length',
  'content-type',
  'host',
  'idempotency-key',
  'proxy-authorization',
  'transfer-encoding',
  'user-agent',
]);

const statusList = z.array(z.string().min(1).max(200)).min(1, 'must list at least one status');

export const asyncBlock = z
  .strictObject({
    correlationField: bodyField.optional(),
    callbackField: bodyField.optional(),
    callbackHeader: headerName
      .refine((name) => !GATEWAY_HEADERS.has(name.toLowerCase()), { message: 'names a header set by the gateway or the transport' })
      .optional(),
    timeout,
    verify,
    result: z
      .strictObject({
        status: jsonPointer,
        succeededWhen: statusList,
        failedWhen: statusList,
        output: jsonPointer.optional(),
        error: jsonPointer.optional(),
      })
      .superRefine((r, ctx) => {
        const both = r.succeededWhen.filter((s) => r.failedWhen.includes(s));
        if (both.length > 0) ctx.addIssue({ code: 'custom', path: ['failedWhen'], message: `"${both[0]}" is also in succeededWhen` });
      }),
  })
  .superRefine((a, ctx) => {
    if ((a.callbackField === undefined) === (a.callbackHeader === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['callbackField'], message: 'give exactly one of callbackField and callbackHeader' });
    }
    if (a.callbackField !== undefined && a.callbackField === a.correlationField) {
      ctx.addIssue({ code: 'custom', path: ['callbackField'], message: 'must differ from correlationField' });
    }
  });

const range = z
  .tuple([z.number().int().min(0).max(3_600_000), z.number().int().min(0).max(3_600_000)])
  .refine(([min, max]) => min <= max, 'must be [min, max] with min <= max');

export const mockCallback = z.strictObject({
  delayMs: range.optional(),
  body: z.unknown().refine((b) => b !== undefined, 'is required'),
  dropRate: z.number().min(0).max(1).optional(),
});

/** Body methods carry the correlation id and the return address; a GET or DELETE has no body. */

/** What an operation's async block asks of the rest of the operation; each problem names its field. */
export function asyncOperationProblems(op: {
  method: string;
  async?: z.infer<typeof asyncBlock> | undefined;
  mock?: { callback?: unknown } | undefined;
}): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  if (op.mock?.callback !== undefined && !op.async) {
    problems.push({ path: ['mock', 'callback'], message: 'applies only to an async operation (add an async block)' });
  }
  const bodyFields = op.async && (op.async.callbackField ?? op.async.correlationField);
  if (bodyFields !== undefined && !BODY_METHODS.has(op.method)) {
    problems.push({ path: ['async'], message: `correlationField and callbackField need a body: use POST, PUT or PATCH, not ${op.method}` });
  }
  return problems;
}
