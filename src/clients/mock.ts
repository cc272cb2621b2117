// Answers operations of services of kind `mock` from their mock config (latency, error rate, fixed
// response), so the gateway can be demoed and load-tested with no real upstream behind it.
import type { CallRequest, CallResult, UpstreamClient } from './types';

export interface MockClientOptions {
  /** Returns a number in [0, 1); injected for deterministic tests. @default Math.random */
  random?: () => number;
}

/** Without a configured range the mock answers at once, which keeps demos and tests fast. */
const DEFAULT_LATENCY_MS: [number, number] = [0, 0];

export function createMockClient(opts: MockClientOptions = {}): UpstreamClient {
  const random = opts.random ?? Math.random;

  async function call(req: CallRequest): Promise<CallResult> {
    const { service, operation } = req;
    const mock = operation.mock ?? {};
    const request = { method: operation.method, url: `mock://${service.name}/${operation.name}`, headers: {} };
    const [min, max] = mock.latencyMs ?? DEFAULT_LATENCY_MS;
    const latencyMs = min + random() * (max - min);
    const timedOut = latencyMs > req.timeoutMs;
    const waited = await wait(timedOut ? req.timeoutMs : latencyMs, req.signal);
    if (waited === 'aborted') return { outcome: 'network_error', error: 'aborted', request };
    if (timedOut) return { outcome: 'timeout', error: `timed out after ${req.timeoutMs} ms`, request };
    if (random() < (mock.errorRate ?? 0)) {
      return { outcome: 'http_error', httpStatus: 500, error: 'HTTP 500: mock error', request };
    }
    const output = mock.response !== undefined ? mock.response : { echo: req.input };
    return { outcome: 'success', httpStatus: 200, output, request };
  }

  return { call, close: async () => {} };
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
