// cancelJob, retryJob and deadlines through GraphQL, with the upstream recording what it got.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let t: TestApp;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    env: { WORKER_CONCURRENCY: '2' },
    services: `
services:
  - name: up
    kind: http
    baseUrl: ${upstream.url}
    timeoutMs: 10000
    retry: { maxAttempts: 1 }
    operations:
      - { name: work, path: /work }
      - { name: slow, path: /slow }
      - { name: fresh, path: /fresh, maxAgeMs: 300 }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const ACTION = (name: 'cancelJob' | 'retryJob') => `mutation($id: ID!) {
  ${name}(id: $id) {
    __typename
    ... on JobActionSuccess { job { id status attempts } }
    ... on Error { message }
    ... on InvalidTransitionError { id status }
    ... on NotFoundError { id }
  }
}`;
const act = async (name: 'cancelJob' | 'retryJob', id: string) => (await t.gql(ACTION(name), { id })).data?.[name];
const received = (path: string, tag: string) => upstream.requests.filter((r) => r.path === path && (r.body as { tag?: string }).tag === tag);
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A marker job due at `runAt` has run: any other job due then would have been sent by now. */
async function passed(runAt: string) {
  const marker = await t.call('up', 'work', { tag: `marker-${runAt}` }, { runAt });
  await t.waitForStatus(marker, ['SUCCEEDED']);
}

describe('cancelJob', () => {
  it('cancels a pending job, which is then never sent', async () => {
    // Far enough ahead that a loaded machine still cancels it before it is due (800 ms was not).
    const runAt = inFuture(3_000);
    const id = await t.call('up', 'work', { tag: 'later' }, { runAt });
    expect(await act('cancelJob', id)).toEqual({ __typename: 'JobActionSuccess', job: { id, status: 'CANCELLED', attempts: 0 } });
    await passed(runAt);
    expect(received('/work', 'later')).toHaveLength(0);
    expect((await t.waitForStatus(id, ['CANCELLED'])).status).toBe('CANCELLED');
  });

  it('aborts a running call and logs the attempt as aborted', async () => {
    upstream.script('/slow', { status: 200, body: { late: true }, delayMs: 8_000 });
    const id = await t.call('up', 'slow', { tag: 'running' });
    await expect.poll(() => received('/slow', 'running').length, { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    expect(await act('cancelJob', id)).toMatchObject({ __typename: 'JobActionSuccess', job: { status: 'CANCELLED' } });
    await expect
      .poll(async () => (await t.waitForStatus(id, ['CANCELLED'])).attemptLog.map((a: { outcome: string }) => a.outcome), { timeout: 3_000 })
      .toEqual(['ABORTED']);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(t.app.pool.inFlight()).toBe(0);
  });

  it('refuses to cancel a finished job, and says so for an unknown one', async () => {
    const id = await t.call('up', 'work', { tag: 'done' });
    await t.waitForStatus(id, ['SUCCEEDED']);
    expect(await act('cancelJob', id)).toEqual({
      __typename: 'InvalidTransitionError',
      id,
      status: 'SUCCEEDED',
      message: 'cannot cancel a SUCCEEDED job (only PENDING, RUNNING, WAITING_CALLBACK)',
    });
    const missing = '00000000-0000-4000-8000-00000000abcd';
    expect(await act('cancelJob', missing)).toEqual({ __typename: 'NotFoundError', id: missing, message: `job ${missing} not found` });
  });
});

describe('retryJob', () => {
  it('runs a failed job again with a fresh attempt budget', async () => {
    upstream.script('/work', { status: 400, body: 'nope' }, { status: 200, body: { second: 'time' } });
    const id = await t.call('up', 'work', { tag: 'again' });
    expect(await t.waitForStatus(id, ['FAILED'])).toMatchObject({ attempts: 1 });
    expect(await act('retryJob', id)).toMatchObject({ __typename: 'JobActionSuccess', job: { status: 'PENDING', attempts: 0 } });
    const job = await t.waitForStatus(id, ['SUCCEEDED', 'FAILED']);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { second: 'time' }, lastError: null });
    expect(job.attemptLog).toHaveLength(2);
  });

  it('refuses to retry a job that has not ended, or succeeded', async () => {
    const id = await t.call('up', 'work', { tag: 'future' }, { runAt: inFuture(60_000) });
    expect(await act('retryJob', id)).toMatchObject({ __typename: 'InvalidTransitionError', status: 'PENDING' });
    expect((await act('retryJob', id)).message).toBe('cannot retry a PENDING job (only FAILED, CANCELLED, TIMED_OUT, EXPIRED)');
    await act('cancelJob', id);
    expect(await act('retryJob', 'not-a-job-id')).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('deadlines', () => {
  it('expires a job whose deadline passes before its runAt, and never sends it', async () => {
    const runAt = inFuture(1_500);
    const id = await t.call('up', 'work', { tag: 'too-late' }, { runAt, deadline: inFuture(400) });
    const updates = await t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status } }`, { id });
    expect(updates.map((u) => u.data?.jobUpdated.status)).toEqual(['PENDING', 'EXPIRED']);
    const job = await t.waitForStatus(id, ['EXPIRED']);
    expect(job.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['EXPIRED']);
    await passed(runAt);
    expect(received('/work', 'too-late')).toHaveLength(0);
  });

  it('expires a job stuck behind a busy pool, using the operation maxAgeMs', async () => {
    upstream.script('/slow', { status: 200, body: {}, delayMs: 1_500 });
    const blockers = await Promise.all([t.call('up', 'slow', { tag: 'b1' }), t.call('up', 'slow', { tag: 'b2' })]);
    await expect.poll(() => received('/slow', 'b1').length + received('/slow', 'b2').length, { timeout: 5_000 }).toBe(2);
    const id = await t.call('up', 'fresh', { tag: 'stale' });
    expect((await t.waitForStatus(id, ['EXPIRED', 'SUCCEEDED'], 5_000)).status).toBe('EXPIRED');
    await Promise.all(blockers.map((b) => t.waitForStatus(b, ['SUCCEEDED'])));
    expect(received('/fresh', 'stale')).toHaveLength(0);
  });
});
