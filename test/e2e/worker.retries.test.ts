// Retries against a scripted upstream: which failures are retried, how long the worker waits,
// and how a job ends when its attempts run out. Real HTTP on 127.0.0.1, real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let t: TestApp;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    // Jitter pinned near its top, so each backoff delay is (almost) the full exponential step.
    random: () => 0.999,
    services: `
services:
  - name: up
    kind: http
    baseUrl: ${upstream.url}
    timeoutMs: 1000
    retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5000 }
    operations:
      - { name: flaky, path: /flaky }
      - { name: bad, path: /bad }
      - { name: limited, path: /limited }
      - { name: hang, path: /hang, timeoutMs: 300, retry: { maxAttempts: 1 } }
      - { name: reset, path: /reset, retry: { initialDelayMs: 10 } }
      - { name: slow, path: /slow, timeoutMs: 300, retry: { initialDelayMs: 10 } }
      - { name: down, path: /down, retry: { maxAttempts: 2, initialDelayMs: 10 } }
      - { name: later, path: /later, retry: { maxAttempts: 2, backoff: fixed, initialDelayMs: 1500 } }
      - name: typed
        path: /typed
        output: { type: object, required: [id], properties: { id: { type: string } } }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const arrivals = (path: string) => upstream.requests.filter((r) => r.path === path).map((r) => r.receivedAt);

describe('retries', () => {
  it('500, 500, 200 → SUCCEEDED after 3 attempts with growing delays', async () => {
    upstream.script('/flaky', { status: 500, body: { e: 1 } }, { status: 500, body: { e: 2 } }, { status: 200, body: { ok: true } });
    const id = await t.call('up', 'flaky', { n: 1 });
    const job = await t.waitForStatus(id, ['SUCCEEDED', 'FAILED']);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: { ok: true } });
    expect(job.attemptLog.map((a: { attempt: number; outcome: string; httpStatus: number }) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, 'HTTP_ERROR', 500],
      [2, 'HTTP_ERROR', 500],
      [3, 'SUCCESS', 200],
    ]);
    const [a, b, c] = arrivals('/flaky');
    // Backoff 200 ms then 400 ms (jitter pinned at 0.999).
    expect(b! - a!).toBeGreaterThanOrEqual(190);
    expect(c! - b!).toBeGreaterThanOrEqual(390);
    expect(c! - b!).toBeGreaterThan(b! - a!);
  });

  it('shows a job waiting for its retry as PENDING with a future runAt, attempts and lastError', async () => {
    upstream.script('/later', { status: 503, body: 'maintenance' });
    const id = await t.call('up', 'later', {});
    const waiting = await t.waitForJob(id, (job) => job.attempts === 1 && job.status !== 'RUNNING');
    const firstCall = arrivals('/later')[0]!;
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'HTTP 503: maintenance' });
    // Fixed backoff of 1.5 s from the failed attempt.
    expect(new Date(waiting.runAt).getTime() - firstCall).toBeGreaterThanOrEqual(1_400);
    const failed = await t.waitForStatus(id, ['FAILED']);
    expect(failed).toMatchObject({ attempts: 2, lastError: 'HTTP 503: maintenance' });
    expect(arrivals('/later')[1]! - firstCall).toBeGreaterThanOrEqual(1_400);
  });

  it('400 → FAILED after 1 attempt', async () => {
    upstream.script('/bad', { status: 400, body: { error: 'amount must be positive' } });
    const id = await t.call('up', 'bad', {});
    const job = await t.waitForStatus(id, ['FAILED']);
    expect(job).toMatchObject({ attempts: 1 });
    expect(job.lastError).toMatch(/HTTP 400.*amount must be positive/);
    expect(arrivals('/bad')).toHaveLength(1);
  });

  it('429 with Retry-After: 1 → the next attempt is not before 1 s', async () => {
    upstream.script('/limited', { status: 429, headers: { 'retry-after': '1' }, body: {} }, { status: 200, body: { ok: 1 } });
    const id = await t.call('up', 'limited', {});
    await t.waitForStatus(id, ['SUCCEEDED']);
    const [first, second] = arrivals('/limited');
    expect(second! - first!).toBeGreaterThanOrEqual(1_000);
  });

  it('a hung upstream is a timeout attempt within the timeout', async () => {
    upstream.script('/hang', { hang: true });
    const id = await t.call('up', 'hang', {});
    const job = await t.waitForStatus(id, ['FAILED']);
    expect(job.attemptLog).toHaveLength(1);
    expect(job.attemptLog[0]).toMatchObject({ outcome: 'TIMEOUT' });
    expect(job.attemptLog[0].durationMs).toBeGreaterThanOrEqual(290);
    expect(job.attemptLog[0].durationMs).toBeLessThan(300 + 250);
  });

  it('retries a connection reset and a body that trickles past the timeout', async () => {
    upstream.script('/reset', { reset: true }, { status: 200, body: { after: 'reset' } });
    upstream.script('/slow', { slowBody: { chunks: 10, intervalMs: 100 } }, { status: 200, body: { after: 'slow' } });
    const [reset, slow] = await Promise.all([t.call('up', 'reset', {}), t.call('up', 'slow', {})]);
    const [r, s] = await Promise.all([t.waitForStatus(reset, ['SUCCEEDED', 'FAILED']), t.waitForStatus(slow, ['SUCCEEDED', 'FAILED'])]);
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: { after: 'reset' } });
    expect(r.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['NETWORK_ERROR', 'SUCCESS']);
    expect(s).toMatchObject({ status: 'SUCCEEDED', output: { after: 'slow' } });
    expect(s.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['TIMEOUT', 'SUCCESS']);
  });

  it('FAILED with the last error once maxAttempts is reached', async () => {
    upstream.script('/down', { status: 502, body: 'bad gateway 1' }, { status: 502, body: 'bad gateway 2' });
    const id = await t.call('up', 'down', {});
    const job = await t.waitForStatus(id, ['FAILED']);
    expect(job).toMatchObject({ attempts: 2, maxAttempts: 2, lastError: 'HTTP 502: bad gateway 2' });
  });

  it('a 2xx that breaks the output schema is invalid_response and not retried', async () => {
    upstream.script('/typed', { status: 200, body: { id: 42 } });
    const id = await t.call('up', 'typed', {});
    const job = await t.waitForStatus(id, ['FAILED']);
    expect(job.attemptLog).toMatchObject([{ outcome: 'INVALID_RESPONSE' }]);
    expect(job.lastError).toMatch(/output schema.*\/id must be string/);
  });
});
