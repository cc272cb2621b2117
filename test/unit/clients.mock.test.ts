import { describe, expect, it } from 'vitest';
import { createMockClient } from '../../src/clients/mock';
import type { CallRequest } from '../../src/clients/types';
import type { MockConfig, ServiceDef } from '../../src/registry/types';

function callReq(mock: MockConfig | undefined, over: Partial<CallRequest> = {}): CallRequest {
  const operation = { name: 'echo', method: 'POST' as const, path: '/', mock };
  const service: ServiceDef = { name: 'mock', kind: 'mock', timeoutMs: 5_000, operations: [operation] };
  return { service, operation, jobId: 'job-1', input: { n: 1 }, idempotencyKey: 'k', timeoutMs: 5_000, ...over };
}

/** Returns the given values in turn: the first draw is the latency, the second the error roll. */
function draws(...values: number[]): () => number {
  return () => values.shift() ?? 0;
}

describe('mock client', () => {
  it('echoes the input by default', async () => {
    const res = await createMockClient().call(callReq(undefined));
    expect(res).toMatchObject({ outcome: 'success', output: { echo: { n: 1 } } });
    expect(res.request).toEqual({ method: 'POST', url: 'mock://mock/echo', headers: {} });
  });

  it('answers a fixed response', async () => {
    const res = await createMockClient().call(callReq({ response: { status: 'paid' } }));
    expect(res).toMatchObject({ outcome: 'success', output: { status: 'paid' } });
  });

  it('fails as often as its error rate says', async () => {
    const mock = { errorRate: 0.3 };
    const failing = await createMockClient({ random: draws(0, 0.29) }).call(callReq(mock));
    expect(failing).toMatchObject({ outcome: 'http_error', httpStatus: 500, error: 'HTTP 500: mock error' });
    const passing = await createMockClient({ random: draws(0, 0.3) }).call(callReq(mock));
    expect(passing.outcome).toBe('success');
  });

  it('waits a latency drawn from its range', async () => {
    const started = Date.now();
    const res = await createMockClient({ random: draws(0.5) }).call(callReq({ latencyMs: [100, 300] }));
    expect(res.outcome).toBe('success');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
  });

  it('times out when the latency passes the budget, after the budget', async () => {
    const started = Date.now();
    const res = await createMockClient().call(callReq({ latencyMs: [10_000, 10_000] }, { timeoutMs: 100 }));
    expect(res).toMatchObject({ outcome: 'timeout', error: 'timed out after 100 ms' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = createMockClient().call(callReq({ latencyMs: [10_000, 10_000] }, { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'network_error', error: 'aborted' });
  });
});
