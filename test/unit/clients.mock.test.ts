import { describe, expect, it } from 'vitest';
import { createMockClient } from '../../src/clients/mock';
import { seededRandom } from '../../src/clients/seeded-random';
import type { CallRequest, CallResult } from '../../src/clients/types';
import type { MockConfig, ServiceDef } from '../../src/registry/types';

function callReq(mock: MockConfig | undefined, over: Partial<CallRequest> = {}): CallRequest {
  const operation = { name: 'echo', method: 'POST' as const, path: '/', mock };
  const service: ServiceDef = { name: 'mock', kind: 'mock', timeoutMs: 5_000, operations: [operation] };
  return { service, operation, jobId: 'job-1', input: { n: 1 }, idempotencyKey: 'k', timeoutMs: 5_000, ...over };
}

/** Returns the given values in turn (then 0): per call, the scenario draw, then the latency draw. */
function draws(...values: number[]): () => number {
  return () => values.shift() ?? 0;
}

/** The outcome, with the status for HTTP errors: `http_error 503`. */
function outcomeOf(res: CallResult): string {
  return res.httpStatus && res.outcome !== 'success' ? `${res.outcome} ${res.httpStatus}` : res.outcome;
}

describe('mock client', () => {
  it('echoes the input by default', async () => {
    const res = await createMockClient().call(callReq(undefined));
    expect(res).toMatchObject({ outcome: 'success', output: { echo: { n: 1 } } });
    expect(res.request).toEqual({ method: 'POST', url: 'mock://mock/echo', headers: {} });
  });

  it('fails at once, not by a timeout later, an async operation with no callback to simulate', async () => {
    const req = callReq({ response: { ok: true } });
    const async = { callbackField: 'cb', timeout: '5m', verify: { standardWebhooks: { secretEnv: 'S' } }, result: { status: '/s', succeededWhen: ['ok'], failedWhen: ['no'] } };
    const res = await createMockClient().call({ ...req, operation: { ...req.operation, async } });
    expect(res).toMatchObject({ outcome: 'http_error', retryable: false, error: expect.stringContaining('without mock.callback') });
  });

  it('answers a fixed response', async () => {
    const res = await createMockClient().call(callReq({ response: { status: 'paid' } }));
    expect(res).toMatchObject({ outcome: 'success', output: { status: 'paid' } });
  });

  it('fills a templated response from the input and the job id', async () => {
    const response = {
      id: '{{jobId}}',
      amount: '{{input.charge.amount}}',
      charge: '{{input.charge}}',
      first: ['{{ input.tags.0 }}'],
      note: 'charged {{input.charge.amount}} {{input.charge.currency}} for {{jobId}}',
      missing: '{{input.nope.deeper}}',
      text: 'hello {{name}}',
    };
    const input = { charge: { amount: 12, currency: 'EUR' }, tags: ['gold'] };
    const res = await createMockClient().call(callReq({ response }, { input, jobId: 'job-7' }));
    expect(res).toMatchObject({ outcome: 'success', httpStatus: 200 });
    expect(res.output).toEqual({
      id: 'job-7',
      amount: 12,
      charge: { amount: 12, currency: 'EUR' },
      first: ['gold'],
      note: 'charged 12 EUR for job-7',
      missing: null,
      text: 'hello {{name}}',
    });
    expect(response.amount).toBe('{{input.charge.amount}}');
  });

  it('fails as often as its error rate says', async () => {
    const mock = { errorRate: 0.3 };
    const failing = await createMockClient({ random: draws(0.29) }).call(callReq(mock));
    expect(failing).toMatchObject({ outcome: 'http_error', httpStatus: 500, error: 'HTTP 500: {"error":"mock error"}' });
    const passing = await createMockClient({ random: draws(0.3) }).call(callReq(mock));
    expect(passing.outcome).toBe('success');
  });

  it('answers an error scenario with its status and body, the body quoted up to 200 characters', async () => {
    const custom = await createMockClient().call(
      callReq({ scenarios: [{ probability: 1, outcome: 'error', status: 503, body: { message: 'down' } }] }),
    );
    expect(custom).toEqual({
      outcome: 'http_error',
      retryable: true,
      httpStatus: 503,
      responseBody: '{"message":"down"}',
      error: 'HTTP 503: {"message":"down"}',
      request: { method: 'POST', url: 'mock://mock/echo', headers: {} },
    });
    const long = 'x'.repeat(500);
    const plain = await createMockClient().call(callReq({ scenarios: [{ probability: 1, outcome: 'error', body: long }] }));
    expect(plain).toMatchObject({ outcome: 'http_error', httpStatus: 500, responseBody: JSON.stringify(long) });
    expect(plain.error).toBe(`HTTP 500: "${'x'.repeat(199)}`);
  });

  it('answers a rate-limited scenario with 429 and its Retry-After', async () => {
    const given = await createMockClient().call(
      callReq({ scenarios: [{ probability: 1, outcome: 'rate_limited', retryAfterSeconds: 2.5, body: 'slow down' }] }),
    );
    expect(given).toMatchObject({ outcome: 'http_error', httpStatus: 429, retryAfterMs: 2_500, error: 'HTTP 429: "slow down"' });
    const defaults = await createMockClient().call(callReq({ scenarios: [{ probability: 1, outcome: 'rate_limited' }] }));
    expect(defaults).toMatchObject({
      outcome: 'http_error',
      httpStatus: 429,
      retryAfterMs: 1_000,
      responseBody: '{"error":"mock rate limited"}',
      error: 'HTTP 429: {"error":"mock rate limited"}',
    });
  });

  it('answers a reset scenario with a network error', async () => {
    const res = await createMockClient().call(callReq({ scenarios: [{ probability: 1, outcome: 'reset' }] }));
    expect(res).toMatchObject({ outcome: 'network_error', retryable: true, error: 'ECONNRESET: mock connection reset' });
    expect(res.httpStatus).toBeUndefined();
  });

  it('answers a timeout scenario after the whole budget, and stops early when aborted', async () => {
    const mock = { latencyMs: [0, 0] as [number, number], scenarios: [{ probability: 1, outcome: 'timeout' as const }] };
    const started = Date.now();
    const res = await createMockClient().call(callReq(mock, { timeoutMs: 150 }));
    expect(res).toMatchObject({ outcome: 'timeout', error: 'timed out after 150 ms' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1_000);

    const controller = new AbortController();
    const abortedAt = Date.now();
    const pending = createMockClient().call(callReq(mock, { timeoutMs: 10_000, signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'aborted', retryable: false, error: 'aborted' });
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
  });

  it('picks scenarios by cumulative probability, then errorRate, else success', async () => {
    const mock = {
      errorRate: 0.1,
      scenarios: [
        { probability: 0.2, outcome: 'error' as const, status: 502 },
        { probability: 0.3, outcome: 'rate_limited' as const },
        { probability: 0.1, outcome: 'reset' as const },
      ],
    };
    const scenarioDraws = [0, 0.19, 0.2, 0.49, 0.5, 0.59, 0.6, 0.69, 0.7, 0.99];
    // Every call also draws a latency (here 0 each): the script interleaves them.
    const client = createMockClient({ random: draws(...scenarioDraws.flatMap((d) => [d, 0])) });
    const outcomes: string[] = [];
    for (let i = 0; i < scenarioDraws.length; i++) outcomes.push(outcomeOf(await client.call(callReq(mock))));
    expect(outcomes).toEqual([
      'http_error 502',
      'http_error 502',
      'http_error 429',
      'http_error 429',
      'network_error',
      'network_error',
      'http_error 500',
      'http_error 500',
      'success',
      'success',
    ]);
  });

  it("waits the scenario's latency instead of the operation's, drawn second", async () => {
    const mock = {
      latencyMs: [0, 0] as [number, number],
      scenarios: [{ probability: 1, outcome: 'reset' as const, latencyMs: [100, 300] as [number, number] }],
    };
    const started = Date.now();
    const res = await createMockClient({ random: draws(0, 0.5) }).call(callReq(mock));
    expect(res.outcome).toBe('network_error');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);

    const slow = { scenarios: [{ probability: 1, outcome: 'error' as const, latencyMs: [10_000, 10_000] as [number, number] }] };
    const bounded = await createMockClient().call(callReq(slow, { timeoutMs: 100 }));
    expect(bounded).toMatchObject({ outcome: 'timeout', error: 'timed out after 100 ms' });
  });

  it('replays the same outcomes for the same seed, and others for another seed', async () => {
    const mock = {
      scenarios: [
        { probability: 0.25, outcome: 'error' as const },
        { probability: 0.25, outcome: 'rate_limited' as const },
        { probability: 0.25, outcome: 'reset' as const },
      ],
    };
    const run = async (seed: number) => {
      const client = createMockClient({ seed });
      const outcomes: string[] = [];
      for (let i = 0; i < 50; i++) outcomes.push(outcomeOf(await client.call(callReq(mock))));
      return outcomes;
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
    expect(new Set(first).size).toBe(4);
  });

  it('prefers an injected random over the seed', async () => {
    const mock = { scenarios: [{ probability: 0.5, outcome: 'reset' as const }] };
    const client = createMockClient({ seed: 42, random: () => 0.99 });
    for (let i = 0; i < 10; i++) expect((await client.call(callReq(mock))).outcome).toBe('success');
  });

  it('seeds a generator of numbers in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = Array.from({ length: 1_000 }, () => a());
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(values);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(990);
  });

  it('waits a latency drawn from its range', async () => {
    const started = Date.now();
    const res = await createMockClient({ random: draws(0, 0.5) }).call(callReq({ latencyMs: [100, 300] }));
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
    expect(await pending).toMatchObject({ outcome: 'aborted', retryable: false, error: 'aborted' });
  });
});
