// Answers operations of services of kind `mock` from their mock config (latency, fault scenarios,
// fixed or templated response), so the gateway and its failure handling run with no real upstream.
import type { CallbackSecret } from '../callbacks/secrets';
import { renderTemplate } from '../json-template';
import { ERROR_BODY_CHARS, RESPONSE_BODY_LOG_CHARS, retryableStatus } from './http';
import { createMockCallbacks } from './mock-callback';
import { seededRandom } from './seeded-random';
import type { MockConfig, MockScenario } from '../registry/types';
import type { CallRequest, CallResult, RequestSummary, UpstreamClient } from './types';

interface MockClientOptions {
  /** Seeds a deterministic generator, so a run replays the same faults. @default Math.random */
  seed?: number | undefined;
  /** Returns a number in [0, 1); wins over `seed`, for tests that script every draw. */
  random?: () => number;
  /** Signs the callbacks of async operations whose mock has a `callback`. @default none: they cannot be sent */
  callbackSecret?: CallbackSecret;
}

/** Without a configured range the mock answers at once, which keeps demos and tests fast. */
const DEFAULT_LATENCY_MS: [number, number] = [0, 0];
/** A JSON error object as most APIs send, so the attempt log shows a body; a scenario's `body` replaces it. */
const DEFAULT_ERROR_BODY = { error: 'mock error' };
const DEFAULT_RATE_LIMITED_BODY = { error: 'mock rate limited' };
const DEFAULT_ERROR_STATUS = 500;
/** One second: the shortest whole-second `Retry-After`, so a demo's retried job is not held long. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * Each call draws `random()` exactly twice, in this order, so a test can script the draws and a
 * seed replays the same faults whatever they were:
 * 1. the scenario: the draw falls in the cumulative probabilities of `scenarios`, then of
 *    `errorRate` (an `error` 500 scenario); past them the call succeeds;
 * 2. the latency, uniform in the scenario's `latencyMs`, else the operation's (unused by `timeout`).
 * A successful call of an async operation with a mock `callback` draws twice more (mock-callback.ts).
 */
export function createMockClient(opts: MockClientOptions = {}): UpstreamClient {
  const random = opts.random ?? (opts.seed !== undefined ? seededRandom(opts.seed) : Math.random);
  const callbacks = createMockCallbacks(opts.callbackSecret);

  async function call(req: CallRequest): Promise<CallResult> {
    const { service, operation } = req;
    const mock = operation.mock ?? {};
    const request = { method: operation.method, url: `mock://${service.name}/${operation.name}`, headers: {} };
    const scenario = pickScenario(mock, random());
    const [min, max] = scenario?.latencyMs ?? mock.latencyMs ?? DEFAULT_LATENCY_MS;
    const latencyMs = min + random() * (max - min);
    const hangs = scenario?.outcome === 'timeout';
    const timedOut = latencyMs > req.timeoutMs;
    const waited = await wait(hangs || timedOut ? req.timeoutMs : latencyMs, req.signal);
    if (waited === 'aborted') return { outcome: 'aborted', retryable: false, error: 'aborted', request };
    if (timedOut) return timeout(req.timeoutMs, request);
    if (scenario) return fault(scenario, req.timeoutMs, request);
    if (req.operation.async) {
      // Without a callback to simulate, the job would wait for one until it timed out: say so now.
      if (!mock.callback) return { outcome: 'http_error', retryable: false, error: 'mock of an async operation without mock.callback: no callback would come', request };
      // An async provider acknowledges now and reports the result later, on the return address.
      const problem = callbacks.schedule(req, random);
      if (problem !== undefined) return { outcome: 'http_error', retryable: false, error: problem, request };
      return { outcome: 'success', retryable: false, httpStatus: 202, output: { accepted: true }, responseBody: '{"accepted":true}', request };
    }
    const output =
      mock.response !== undefined ? renderTemplate(mock.response, { input: req.input, jobId: req.jobId }) : { echo: req.input };
    return { outcome: 'success', retryable: false, httpStatus: 200, output, request };
  }

  return { call, close: () => callbacks.close() };
}

/** The scenario whose cumulative probability range holds `draw`, or none (success). */
function pickScenario(mock: MockConfig, draw: number): MockScenario | undefined {
  const scenarios = mock.scenarios ?? [];
  const all: MockScenario[] = mock.errorRate ? [...scenarios, { probability: mock.errorRate, outcome: 'error' }] : scenarios;
  let cumulative = 0;
  for (const scenario of all) {
    cumulative += scenario.probability;
    if (draw < cumulative) return scenario;
  }
  return undefined;
}

/** The failure a scenario stands for, shaped as the http client reports the real one. */
function fault(scenario: MockScenario, timeoutMs: number, request: RequestSummary): CallResult {
  switch (scenario.outcome) {
    case 'timeout':
      return timeout(timeoutMs, request);
    case 'error':
      return httpError(scenario.status ?? DEFAULT_ERROR_STATUS, scenario.body ?? DEFAULT_ERROR_BODY, request);
    case 'rate_limited': {
      const seconds = scenario.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
      return { ...httpError(429, scenario.body ?? DEFAULT_RATE_LIMITED_BODY, request), retryAfterMs: Math.round(seconds * 1000) };
    }
    case 'reset':
      return { outcome: 'network_error', retryable: true, error: 'ECONNRESET: mock connection reset', request };
  }
}

function timeout(timeoutMs: number, request: RequestSummary): CallResult {
  return { outcome: 'timeout', retryable: true, error: `timed out after ${timeoutMs} ms`, request };
}

function httpError(status: number, body: unknown, request: RequestSummary): CallResult {
  const text = JSON.stringify(body);
  return {
    outcome: 'http_error',
    retryable: retryableStatus(status),
    httpStatus: status,
    responseBody: text.slice(0, RESPONSE_BODY_LOG_CHARS),
    error: `HTTP ${status}: ${text.slice(0, ERROR_BODY_CHARS)}`,
    request,
  };
}

/** Resolves after `ms`, or as soon as the signal aborts (the timer is then cleared). */
function wait(ms: number, signal: AbortSignal | undefined): Promise<'elapsed' | 'aborted'> {
  if (signal?.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve('aborted');
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('elapsed');
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
