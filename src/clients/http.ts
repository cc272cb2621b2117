// Calls services of kind `http`: one undici request per attempt, bounded in time and response
// size, with every upstream failure returned as a CallResult so that each attempt gets logged.
import type { LookupFunction } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { AuthError, createAuthResolver, type AuthHeaders, type SecretLookup } from './auth';
import { buildTarget, unsendableHeader } from './build-request';
import { createTokenSource } from './oauth2';
import { readCapped } from './read-capped';
import { secretScrubber } from './scrub';
import { createGuardedAgent, OutboundRefusedError } from './ssrf';
import type { CallRequest, CallResult, RequestSummary, UpstreamClient } from './types';

/** @default 1 MiB: far above any JSON answer we expect, low enough that 32 busy slots stay cheap. */
const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
/** Attempt log rows stay small: 2 KB shows the gist of an error page without storing documents. */
export const RESPONSE_BODY_LOG_CHARS = 2_048;
/** An error message quotes this much of a failed response: an API's error text, still one line. */
export const ERROR_BODY_CHARS = 200;
const REDACTED = '[redacted]';
/** undici's own timers; they share the attempt's budget, so they mean the same thing. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface HttpClientOptions {
  /** Resolves an environment variable name (from a service's auth config) to its value. */
  secret: SecretLookup;
  /** Larger responses are cut off and the attempt fails. @default 1 MiB */
  maxResponseBytes?: number;
  /** CALLGATE_OUTBOUND_ALLOW: what services registered through the API may reach anyway. @default none */
  outboundAllow?: readonly string[];
  /** Resolver behind the SSRF guard; tests pass a stub. @default dns.lookup */
  lookup?: LookupFunction;
  /** Clock for OAuth2 token expiry. @default Date.now */
  now?: () => number;
  /**
   * For tests (e.g. MockAgent), used for every service, the SSRF guard's included. The caller owns
   * it: `close()` leaves it open. @default own Agents
   */
  dispatcher?: Dispatcher;
}

export function createHttpClient(opts: HttpClientOptions): UpstreamClient {
  const trusted = opts.dispatcher ?? new Agent();
  const guarded = opts.dispatcher ?? createGuardedAgent({ allow: opts.outboundAllow ?? [], lookup: opts.lookup });
  // The file's services are the operator's and may call anything; the API's are a tenant's.
  const dispatcherFor = (req: CallRequest): Dispatcher => (req.service.source === 'api' ? guarded : trusted);
  const authHeaders = createAuthResolver({ secret: opts.secret, tokens: createTokenSource({ now: opts.now }) });
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  async function call(req: CallRequest): Promise<CallResult> {
    const method = req.operation.method;
    const dispatcher = dispatcherFor(req);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'idempotency-key': req.idempotencyKey,
      'user-agent': 'callgate',
    };
    const target = buildTarget(req);
    if ('error' in target) return unsendable(target.error, { method, url: target.url, headers: redactHeaders(headers, []) });
    if (target.body !== undefined) headers['content-type'] = 'application/json';
    // The return address is a credential of this job: sent, never stored in the attempt log.
    const callbackHeader = req.callback && req.operation.async?.callbackHeader?.toLowerCase();
    if (callbackHeader) headers[callbackHeader] = req.callback!.url;
    const always = callbackHeader ? [callbackHeader] : [];
    let summary: RequestSummary = { method, url: target.url, headers: redactHeaders(headers, always) };
    // The token in the return address too: a provider may echo it in its answer.
    const secrets: string[] = req.callback ? [req.callback.url] : [];
    let scrub = secretScrubber(secrets);

    // One controller for the attempt, aborted by its timeout or by the caller's signal (cancel,
    // drain): on the worker's hot path it is cheaper than AbortSignal.any, which tracks its
    // sources through weak references and a finalization registry on every call.
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, req.timeoutMs);
    const forwardAbort = () => attempt.abort(req.signal?.reason);
    if (req.signal?.aborted) forwardAbort();
    else req.signal?.addEventListener('abort', forwardAbort, { once: true });
    const signal = attempt.signal;
    /** Auth resolved (a token may be fetched), checked, and its secrets added to the scrub list. */
    const authorise = async (pending: Promise<AuthHeaders>): Promise<AuthHeaders> => {
      const auth = await abortable(pending, signal);
      // A service without auth adds nothing: the scrubber and the logged request copy stay as they are.
      if (auth.secrets.length > 0) {
        secrets.push(...auth.secrets);
        scrub = secretScrubber(secrets);
      }
      if (Object.keys(auth.headers).length > 0) {
        summary = { ...summary, headers: redactHeaders({ ...headers, ...auth.headers }, [...always, ...auth.redact]) };
      }
      return auth;
    };
    // No redirect handling is installed: a 3xx is an answer, and an SSRF-guarded call cannot be
    // bounced to an address the guard would refuse.
    const send = (auth: AuthHeaders) =>
      request(target.url, {
        dispatcher,
        method,
        headers: { ...headers, ...auth.headers },
        body: target.body,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
    try {
      let auth = await authorise(authHeaders(req.service, dispatcher));
      const badHeader = unsendableHeader({ ...headers, ...auth.headers });
      if (badHeader !== undefined) return unsendable(badHeader, summary);
      let res = await send(auth);
      if (res.statusCode === 401 && auth.renew) {
        // One fresh token and one more try: the cached token may have been revoked early.
        await res.body.dump();
        auth = await authorise(auth.renew());
        // The renewed token is checked like the first: a bad one is unsendable, not a network error.
        const badRenewed = unsendableHeader({ ...headers, ...auth.headers });
        if (badRenewed !== undefined) return unsendable(badRenewed, summary);
        res = await send(auth);
      }
      const read = await readCapped(res.body, maxBytes);
      const text = scrub(read.text);
      const responseBody = text.slice(0, RESPONSE_BODY_LOG_CHARS) || undefined;
      const base = { httpStatus: res.statusCode, responseBody, request: summary };
      if (read.exceeded) {
        return { ...base, outcome: 'invalid_response', retryable: false, error: `response body exceeds ${maxBytes} bytes` };
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        const quote = text.slice(0, ERROR_BODY_CHARS);
        return {
          ...base,
          outcome: 'http_error',
          retryable: retryableStatus(res.statusCode),
          error: quote ? `HTTP ${res.statusCode}: ${quote}` : `HTTP ${res.statusCode}`,
          retryAfterMs: parseRetryAfter(firstValue(res.headers['retry-after'])),
        };
      }
      return { ...base, ...parseOutput(text, firstValue(res.headers['content-type'])) };
    } catch (err) {
      if (req.signal?.aborted) return { outcome: 'aborted', retryable: false, error: 'aborted', request: summary };
      if (timedOut || TIMEOUT_CODES.has(errorCode(err) ?? '')) {
        return { outcome: 'timeout', retryable: true, error: `timed out after ${req.timeoutMs} ms`, request: summary };
      }
      const refused = findRefusal(err);
      if (refused) return unsendable(refused.message, summary);
      if (err instanceof AuthError && !err.retryable) return unsendable(scrub(err.message), summary);
      return { outcome: 'network_error', retryable: true, error: scrub(describeError(err)), request: summary };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', forwardAbort);
    }
  }

  return {
    call,
    close: async () => {
      if (!opts.dispatcher) await Promise.all([trusted.close(), guarded.close()]);
    },
  };
}

/**
 * A request that cannot be built or may not be sent is the job's or the registry's fault, and
 * sending it again cannot help: not retryable, so the breaker does not count it against the
 * upstream either (nothing reached it).
 */
function unsendable(error: string, request: RequestSummary): CallResult {
  return { outcome: 'http_error', retryable: false, error, request };
}

/** 5xx, 408 and 429 may pass on their own; any other status will be answered the same way again. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** Settles with `pending`, or rejects as soon as the attempt is aborted (timeout, cancel, drain). */
function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The SSRF guard's refusal, wherever undici wrapped it (cause, or one of several addresses tried). */
function findRefusal(err: unknown): OutboundRefusedError | undefined {
  if (err instanceof OutboundRefusedError) return err;
  if (err instanceof AggregateError) return err.errors.map(findRefusal).find((found) => found !== undefined);
  if (err instanceof Error && err.cause !== undefined) return findRefusal(err.cause);
  return undefined;
}

/** JSON when declared (a broken JSON body is an invalid response) or when undeclared and parsable. */
function parseOutput(text: string, contentType: string | undefined): Pick<CallResult, 'outcome' | 'retryable' | 'output' | 'error'> {
  const success = (output: unknown) => ({ outcome: 'success' as const, retryable: false, output });
  if (text === '') return success(null);
  const declaredJson = contentType !== undefined && /[/+]json\b/i.test(contentType);
  if (contentType !== undefined && !declaredJson) return success(text);
  try {
    return success(JSON.parse(text));
  } catch (err) {
    if (!declaredJson) return success(text);
    return { outcome: 'invalid_response', retryable: false, error: `response is not valid JSON: ${(err as Error).message}` };
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
