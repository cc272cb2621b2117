// GET /metrics after real jobs against a scripted HTTP upstream: the counters carry the right
// labels and values, in-flight calls and queue depth move, breaker states show, and no job id or
// input ever becomes a label. Each app has its own registry, so the two apps here never mix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { jobs } from '../../src/db/schema';
import { claimJobs } from '../../src/queue';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it for our own output: `name{a="b",c="d"} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(t: TestApp) {
  const res = await fetch(new URL('/metrics', t.url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const samples = parseExposition(text);
  /** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
    return found[0]?.value;
  };
  return { text, samples, value };
}

describe('/metrics after a run of jobs', () => {
  let upstream: Upstream;
  let t: TestApp;
  const jobIds: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await buildTestApp({
      services: `
services:
  - name: up
    kind: http
    baseUrl: ${upstream.url}
    timeoutMs: 5000
    retry: { maxAttempts: 3, backoff: fixed, initialDelayMs: 10 }
    operations:
      - { name: ok, path: /ok }
      - { name: flaky, path: /flaky }
      - { name: bad, path: /bad }
      - { name: slow, path: /slow }
  - name: fragile
    kind: http
    baseUrl: ${upstream.url}
    retry: { maxAttempts: 1 }
    breaker: { volumeThreshold: 1, errorThresholdPercentage: 50, resetTimeoutMs: 60000 }
    operations: [{ name: down, path: /down }]
`,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
  });

  it('counts enqueued and finished jobs and attempts by service, operation, status and outcome', async () => {
    upstream.script('/flaky', { status: 500, body: 'oops' }, { status: 200, body: { ok: true } });
    upstream.script('/bad', { status: 400, body: 'no' });
    upstream.script('/down', { status: 503, body: 'down' });
    jobIds.push(await t.call('up', 'ok', { secret: 'input-marker-1' }, { idempotencyKey: 'once' }));
    // The same idempotency key again: the first job back, nothing new enqueued.
    expect(await t.call('up', 'ok', { secret: 'input-marker-1' }, { idempotencyKey: 'once' })).toBe(jobIds[0]);
    jobIds.push(await t.call('up', 'ok', { n: 2 }));
    jobIds.push(await t.call('up', 'flaky', {}));
    jobIds.push(await t.call('up', 'bad', {}));
    jobIds.push(await t.call('fragile', 'down', {}));
    const final = await Promise.all(jobIds.map((id) => t.waitForStatus(id, ['SUCCEEDED', 'FAILED'])));
    expect(final.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'FAILED']);

    const { value, text } = await scrape(t);
    const up = (operation: string) => ({ service: 'up', operation });
    expect(value('callgate_jobs_enqueued_total', up('ok'))).toBe(2);
    expect(value('callgate_jobs_enqueued_total', up('flaky'))).toBe(1);
    expect(value('callgate_jobs_enqueued_total', { service: 'fragile', operation: 'down' })).toBe(1);

    expect(value('callgate_jobs_finished_total', { ...up('ok'), status: 'succeeded' })).toBe(2);
    expect(value('callgate_jobs_finished_total', { ...up('flaky'), status: 'succeeded' })).toBe(1);
    expect(value('callgate_jobs_finished_total', { ...up('bad'), status: 'failed' })).toBe(1);
    expect(value('callgate_jobs_finished_total', { service: 'fragile', operation: 'down', status: 'failed' })).toBe(1);
    // The retried attempt did not finish the job.
    expect(value('callgate_jobs_finished_total', { ...up('flaky'), status: 'failed' })).toBeUndefined();

    expect(value('callgate_attempts_total', { ...up('ok'), outcome: 'success' })).toBe(2);
    expect(value('callgate_attempts_total', { ...up('flaky'), outcome: 'http_error' })).toBe(1);
    expect(value('callgate_attempts_total', { ...up('flaky'), outcome: 'success' })).toBe(1);
    expect(value('callgate_attempts_total', { ...up('bad'), outcome: 'http_error' })).toBe(1);

    expect(value('callgate_attempt_duration_seconds_count', up('ok'))).toBe(2);
    expect(value('callgate_attempt_duration_seconds_count', up('flaky'))).toBe(2);
    expect(value('callgate_attempt_duration_seconds_bucket', { ...up('flaky'), le: '+Inf' })).toBe(2);
    expect(value('callgate_attempt_duration_seconds_sum', up('flaky'))).toBeGreaterThan(0);

    // No job id, idempotency key or input value in any label or anywhere else.
    for (const id of jobIds) expect(text).not.toContain(id);
    expect(text).not.toContain('input-marker-1');
    expect(text).not.toMatch(/idempotency|"once"/);
  });

  it('counts jobs cancelled through cancelJob and expired by the sweeper', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const cancelled = await t.call('up', 'ok', {}, { runAt: later });
    const cancel = await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: cancelled });
    expect(cancel.data?.cancelJob).toEqual({ __typename: 'JobActionSuccess' });
    // Due after its deadline: the sweeper expires it without sending it.
    const expired = await t.call('up', 'ok', {}, { runAt: later, deadline: new Date(Date.now() + 300).toISOString() });
    await t.waitForStatus(expired, ['EXPIRED']);

    const finished = async (status: string) => (await scrape(t)).value('callgate_jobs_finished_total', { service: 'up', operation: 'ok', status });
    expect(await finished('cancelled')).toBe(1);
    // The sweeper counts right after its statement commits, which a poll of the job can see first.
    await expect.poll(() => finished('expired'), { timeout: 2_000 }).toBe(1);
    // Cancelling it again finishes nothing.
    await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: cancelled });
    expect(await finished('cancelled')).toBe(1);
  });

  it('shows each breaker state per operation as a state set', async () => {
    const { value } = await scrape(t);
    const fragile = { service: 'fragile', operation: 'down' };
    expect(value('callgate_breaker_state', { ...fragile, state: 'open' })).toBe(1);
    expect(value('callgate_breaker_state', { ...fragile, state: 'closed' })).toBe(0);
    expect(value('callgate_breaker_state', { ...fragile, state: 'half_open' })).toBe(0);
    // An operation never called yet is closed too.
    expect(value('callgate_breaker_state', { service: 'up', operation: 'slow', state: 'closed' })).toBe(1);
    expect(value('callgate_breaker_state', { service: 'up', operation: 'slow', state: 'open' })).toBe(0);
  });

  it('counts a call in flight while it runs, and the queue gauges read the database', async () => {
    upstream.script('/slow', { status: 200, body: {}, delayMs: 1_500 });
    const id = await t.call('up', 'slow', {});
    await expect.poll(() => upstream.requests.some((r) => r.path === '/slow'), { timeout: 10_000 }).toBe(true);
    const during = await scrape(t);
    expect(during.value('callgate_calls_in_flight', { service: 'up' })).toBe(1);
    expect(during.value('callgate_queue_jobs', { status: 'running' })).toBe(1);
    await t.waitForStatus(id, ['SUCCEEDED']);
    const after = await scrape(t);
    expect(after.value('callgate_calls_in_flight', { service: 'up' })).toBe(0);
    expect(after.value('callgate_queue_jobs', { status: 'running' })).toBe(0);
    expect(after.value('callgate_queue_jobs', { status: 'pending' })).toBe(0);
    expect(after.value('callgate_queue_oldest_due_pending_age_seconds')).toBe(0);
  });

  it('times GraphQL operations by type and counts requests that fail to parse or validate', async () => {
    const before = await scrape(t);
    const errors = (s: typeof before, phase: string) => s.value('callgate_graphql_errors_total', { phase }) ?? 0;
    expect((await t.gql('{ job(id: ')).errors).toBeDefined();
    expect((await t.gql('{ nope }')).errors).toBeDefined();
    await t.gql('{ job(id: "00000000-0000-0000-0000-000000000000") { id } }');
    const after = await scrape(t);
    expect(errors(after, 'parse') - errors(before, 'parse')).toBe(1);
    expect(errors(after, 'validate') - errors(before, 'validate')).toBe(1);
    const queries = (s: typeof before) => s.value('callgate_graphql_request_duration_seconds_count', { operation_type: 'query' }) ?? 0;
    expect(queries(after) - queries(before)).toBe(1);
    expect(after.value('callgate_graphql_request_duration_seconds_count', { operation_type: 'mutation' })).toBeGreaterThanOrEqual(6);
  });
});

describe('queue gauges on the embedded database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      pglite: true,
      // No workers: the test moves jobs itself.
      env: { WORKER_CONCURRENCY: '0' },
      services: `
services:
  - name: mock
    kind: mock
    retry: { maxAttempts: 1 }
    operations: [{ name: echo }]
`,
    });
  });
  afterAll(async () => t?.stop());

  it('follow jobs as they are enqueued and claimed, and start at zero in a new app', async () => {
    const empty = await scrape(t);
    expect(empty.value('callgate_queue_jobs', { status: 'pending' })).toBe(0);
    expect(empty.value('callgate_queue_oldest_due_pending_age_seconds')).toBe(0);
    // Its own registry: nothing of the other app's jobs.
    expect(empty.value('callgate_jobs_enqueued_total', { service: 'up', operation: 'ok' })).toBeUndefined();

    for (let i = 0; i < 3; i++) await t.call('mock', 'echo', { i });
    await t.call('mock', 'echo', { later: true }, { runAt: new Date(Date.now() + 3_600_000).toISOString() });
    const queued = await scrape(t);
    expect(queued.value('callgate_queue_jobs', { status: 'pending' })).toBe(4);
    expect(queued.value('callgate_queue_jobs', { status: 'running' })).toBe(0);
    expect(queued.value('callgate_queue_jobs', { status: 'waiting_callback' })).toBe(0);
    expect(queued.value('callgate_queue_oldest_due_pending_age_seconds')).toBeGreaterThan(0);
    expect(queued.value('callgate_jobs_enqueued_total', { service: 'mock', operation: 'echo' })).toBe(4);

    await claimJobs(t.app.database.db, 'test-worker', 2);
    const claimed = await scrape(t);
    expect(claimed.value('callgate_queue_jobs', { status: 'pending' })).toBe(2);
    expect(claimed.value('callgate_queue_jobs', { status: 'running' })).toBe(2);

    await claimJobs(t.app.database.db, 'test-worker', 10);
    const drained = await scrape(t);
    expect(drained.value('callgate_queue_jobs', { status: 'running' })).toBe(3);
    // Only the job scheduled for later is left, and it is not due: nothing waits.
    expect(drained.value('callgate_queue_jobs', { status: 'pending' })).toBe(1);
    expect(drained.value('callgate_queue_oldest_due_pending_age_seconds')).toBe(0);
  });

  it('counts a job the sweeper failed because its worker was lost on the last attempt', async () => {
    const id = await t.call('mock', 'echo', { lost: true });
    // Claimed by a "worker" that never reports back; its 1 ms lease is gone at the next sweep.
    await t.app.database.db.update(jobs).set({ leaseMs: 1 }).where(eq(jobs.id, id));
    expect((await claimJobs(t.app.database.db, 'crashed-worker', 1)).map((j) => j.id)).toEqual([id]);
    await t.waitForStatus(id, ['FAILED']);
    await expect
      .poll(async () => (await scrape(t)).value('callgate_jobs_finished_total', { service: 'mock', operation: 'echo', status: 'failed' }), {
        timeout: 2_000,
      })
      .toBe(1);
  });
});
