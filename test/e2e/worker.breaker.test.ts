// The circuit breaker end to end: after the threshold the upstream gets no request while the
// breaker is open, jobs wait PENDING without losing attempts, a successful probe closes it and
// the jobs finish; GraphQL shows each state.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let t: TestApp;
const RESET_MS = 2_000;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    services: `
services:
  - name: brk
    kind: http
    baseUrl: ${upstream.url}
    timeoutMs: 1000
    retry: { maxAttempts: 4, backoff: fixed, initialDelayMs: 50 }
    breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: ${RESET_MS} }
    operations: [{ name: call, path: /br }]
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const breaker = async () =>
  (await t.gql(`{ service(name: "brk") { operations { breaker { state failures nextProbeAt } } } }`)).data?.service.operations[0].breaker;
const calls = () => upstream.requests.filter((r) => r.path === '/br').length;

it('opens after the threshold, sends nothing while open, and closes after a good probe', async () => {
  upstream.script('/br', { status: 500, body: 'down' });
  expect(await breaker()).toMatchObject({ state: 'CLOSED', failures: 0, nextProbeAt: null });
  const ids = await Promise.all([1, 2, 3].map((n) => t.call('brk', 'call', { n })));

  await expect.poll(async () => (await breaker()).state, { timeout: 10_000 }).toBe('OPEN');
  const open = await breaker();
  const nextProbe = new Date(open.nextProbeAt).getTime();
  expect(nextProbe).toBeGreaterThan(Date.now());
  const callsWhenOpened = calls();
  const late = await t.call('brk', 'call', { n: 'late' }, { deadline: new Date(Date.now() + 300).toISOString() });

  // While open: jobs are PENDING, due at the probe time, and keep the attempts they had.
  const heldBack = (job: Record<string, any>) => job.status === 'PENDING' && job.attemptLog.at(-1)?.outcome === 'BREAKER_OPEN';
  const waiting = await Promise.all(ids.map((id) => t.waitForJob(id, heldBack, 5_000)));
  for (const job of waiting) {
    // Only real calls count: the 1 or 2 failures each job had before the breaker opened.
    expect(job.attempts).toBe(job.attemptLog.filter((a: { outcome: string }) => a.outcome === 'HTTP_ERROR').length);
    expect(job.attempts).toBeLessThanOrEqual(2);
    // Due again at the probe (or, for a job refused during the probe, one second later).
    expect(new Date(job.runAt).getTime()).toBeGreaterThanOrEqual(nextProbe - 100);
  }
  // A job whose deadline passes behind the open breaker expires and is never sent.
  expect(await t.waitForStatus(late, ['EXPIRED'], 5_000)).toMatchObject({ status: 'EXPIRED' });

  upstream.script('/br', { status: 200, body: { ok: true } });
  await expect.poll(() => Date.now() >= nextProbe - 100, { timeout: RESET_MS + 1_000 }).toBe(true);
  expect(calls()).toBe(callsWhenOpened);

  const done = await Promise.all(ids.map((id) => t.waitForStatus(id, ['SUCCEEDED', 'FAILED'], 15_000)));
  expect(done.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  expect(await breaker()).toMatchObject({ state: 'CLOSED', nextProbeAt: null });
  expect(upstream.requests.some((r) => (r.body as { n?: unknown }).n === 'late')).toBe(false);
}, 40_000);
