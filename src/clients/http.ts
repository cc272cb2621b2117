// Calls services of kind `http`: one undici request per attempt, bounded in time and response
// size, with every upstream failure returned as a CallResult so that each attempt gets logged.
import { Agent, request, type Dispatcher } from 'undici';
import { authHeaders, type SecretLookup } from './auth';
import type { CallRequest, CallResult, RequestSummary, UpstreamClient } from './types';

/** @default 1 MiB: far above any JSON answer we expect, low enough that 32 busy slots stay cheap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
/** Attempt log rows stay small: 2 KB shows the gist of an error page without storing documents. */
export const RESPONSE_BODY_LOG_CHARS = 2_048;
/** An error message quotes this much of a failed response: an API's error text, still one line. */
export const ERROR_BODY_CHARS = 200;
const REDACTED = '[redacted]';
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
/** undici's own timers; they share the attempt's budget, so they mean the same thing. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const PLACEHOLDER = /\{([^{}]+)\}/g;

export interface HttpClientOptions {
  /** Resolves an environment variable name (from a service's auth config) to its value. */
  secret: SecretLookup;
  /** Larger responses are cut off and the attempt fails. @default 1 MiB */
  maxResponseBytes?: number;
  /** For tests (e.g. MockAgent). The caller owns it: `close()` leaves it open. @default own Agent */
  dispatcher?: Dispatcher;
}

interface Target {
  url: string;
  body?: string;
}

export function createHttpClient(opts: HttpClientOptions): UpstreamClient {
  const ownAgent = opts.dispatcher ? undefined : new Agent();
  const dispatcher: Dispatcher = opts.dispatcher ?? (ownAgent as Agent);
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  async function call(req: CallRequest): Promise<CallResult> {
    const method = req.operation.method;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'idempotency-key': req.idempotencyKey,
      'user-agent': 'callgate',
    };
    const summaryOf = (url: string, redact: string[] = []): RequestSummary => ({
      method,
      url,
      headers: redactHeaders(headers, redact),
    });
    // A request that cannot be built is the job's or the registry's fault, and sending it again
    // cannot help: `http_error` without an httpStatus marks it non-retryable, and nothing is sent.
    const target = buildTarget(req);
    if ('error' in target) return { outcome: 'http_error', error: target.error, request: summaryOf(target.url) };
    if (target.body !== undefined) headers['content-type'] = 'application/json';
    let redact: string[];
    try {
      const auth = authHeaders(req.service.auth, opts.secret, req.service.name);
      Object.assign(headers, auth.headers);
      redact = auth.redact;
    } catch (err) {
      return { outcome: 'http_error', error: (err as Error).message, request: summaryOf(target.url) };
    }
    const summary = summaryOf(target.url, redact);

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
    try {
      const res = await request(target.url, {
        dispatcher,
        method,
        headers,
        body: target.body,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const read = await readCapped(res.body, maxBytes);
      const responseBody = read.text.slice(0, RESPONSE_BODY_LOG_CHARS) || undefined;
      const base = { httpStatus: res.statusCode, responseBody, request: summary };
      if (read.exceeded) {
        return { ...base, outcome: 'invalid_response', error: `response body exceeds ${maxBytes} bytes` };
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        const quote = read.text.slice(0, ERROR_BODY_CHARS);
        return {
          ...base,
          outcome: 'http_error',
          error: quote ? `HTTP ${res.statusCode}: ${quote}` : `HTTP ${res.statusCode}`,
          retryAfterMs: parseRetryAfter(firstValue(res.headers['retry-after'])),
        };
      }
      return { ...base, ...parseOutput(read.text, firstValue(res.headers['content-type'])) };
    } catch (err) {
      if (req.signal?.aborted) return { outcome: 'network_error', error: 'aborted', request: summary };
      if (timeout.signal.aborted || TIMEOUT_CODES.has(errorCode(err) ?? '')) {
        return { outcome: 'timeout', error: `timed out after ${req.timeoutMs} ms`, request: summary };
      }
      return { outcome: 'network_error', error: describeError(err), request: summary };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    call,
    close: async () => {
      await ownAgent?.close();
    },
  };
}

/** Base URL (its path prefix kept) + the operation's path with `{name}` filled from the input. */
function buildTarget(req: CallRequest): Target | { error: string; url: string } {
  const { service, operation } = req;
  const input = isPlainObject(req.input) ? req.input : undefined;
  const base = (service.baseUrl ?? '').replace(/\/+$/, '');
  const rawPath = operation.path.startsWith('/') ? operation.path : `/${operation.path}`;
  if (!service.baseUrl) return { error: `service ${service.name} has no baseUrl`, url: rawPath };
  const used = new Set<string>();
  let missing: string | undefined;
  const path = rawPath.replace(PLACEHOLDER, (whole, name: string) => {
    const value = input?.[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      missing ??= name;
      return whole;
    }
    used.add(name);
    return encodeURIComponent(String(value));
  });
  if (missing !== undefined) {
    return { error: `path parameter "${missing}" is missing from the input`, url: base + rawPath };
  }
  const rest = input ? Object.fromEntries(Object.entries(input).filter(([key]) => !used.has(key))) : req.input;
  const url = new URL(base + path);
  if (BODY_METHODS.has(operation.method)) return { url: url.toString(), body: JSON.stringify(rest ?? null) };
  if (isPlainObject(rest)) {
    for (const [key, value] of Object.entries(rest)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        url.searchParams.append(key, String(value));
      }
    }
  }
  return { url: url.toString() };
}

/** Reads at most `max` bytes; past that the body is destroyed, so no answer is held whole. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), exceeded: true };
    }
    size += buf.length;
    chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), exceeded: false };
}

/** JSON when declared (a broken JSON body is an invalid response) or when undeclared and parsable. */
function parseOutput(text: string, contentType: string | undefined): Pick<CallResult, 'outcome' | 'output' | 'error'> {
  if (text === '') return { outcome: 'success', output: null };
  const declaredJson = contentType !== undefined && /[/+]json\b/i.test(contentType);
  if (contentType !== undefined && !declaredJson) return { outcome: 'success', output: text };
  try {
    return { outcome: 'success', output: JSON.parse(text) };
  } catch (err) {
    if (!declaredJson) return { outcome: 'success', output: text };
    return { outcome: 'invalid_response', error: `response is not valid JSON: ${(err as Error).message}` };
  }
}

/** `Retry-After` as delta seconds or an HTTP date, in ms from now (never negative). */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function redactHeaders(headers: Record<string, string>, redact: string[]): Record<string, string> {
  const secretNames = new Set(['authorization', ...redact]);
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, secretNames.has(name.toLowerCase()) ? REDACTED : value]),
  );
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `CODE: message`, from the first of several connect errors when Node tried each address. */
function describeError(err: unknown): string {
  const first = err instanceof AggregateError && err.errors.length > 0 ? (err.errors[0] as unknown) : err;
  const message = first instanceof Error ? first.message : String(first);
  const code = errorCode(first);
  return code ? `${code}: ${message}` : message;
}
