// The ops queries through GraphQL on a running gateway: jobStats and failingServices after real
// jobs (with the failing operation's live breaker), queue with this instance's heartbeat, and the
// Duration scalar's errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({
    services: `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [1, 3] }
      - name: broken
        mock: { latencyMs: [1, 3], errorRate: 1 }
`,
    env: { CALLGATE_INSTANCE_ID: 'stats-e2e' },
  });
  const ids = [
    ...(await Promise.all([1, 2, 3].map((n) => t.call('mock', 'echo', { n })))),
    ...(await Promise.all([1, 2].map((n) => t.call('mock', 'broken', { n }, { maxAttempts: 1 })))),
  ];
  await Promise.all(ids.map((id) => t.waitForStatus(id, ['SUCCEEDED', 'FAILED'])));
});
afterAll(async () => t?.stop());

describe('ops queries over GraphQL', () => {
  it('jobStats over the default hour', async () => {
    const res = await t.gql(`{ jobStats { service operation created finished succeeded successRate calls
      byStatus { succeeded failed } durationMs { p50 p99 } throughputPerMinute oldestPendingAgeMs } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.jobStats).toMatchObject([
      { operation: 'broken', created: 2, finished: 2, succeeded: 0, successRate: 0, calls: 2, byStatus: { failed: 2 }, oldestPendingAgeMs: null },
      { operation: 'echo', created: 3, finished: 3, succeeded: 3, successRate: 1, calls: 3, byStatus: { succeeded: 3 }, throughputPerMinute: 3 / 60 },
    ]);
    expect(res.data?.jobStats[1].durationMs.p99).toBeGreaterThanOrEqual(0);
    const filtered = await t.gql(`{ jobStats(window: "10m", service: "mock", operation: "echo") { operation } }`);
    expect(filtered.data?.jobStats).toEqual([{ operation: 'echo' }]);
  });

  it('failingServices with the breaker of the failing operation', async () => {
    const res = await t.gql(`{ failingServices(minFailures: 2) { service operation failures calls failureRate lastFailureAt recentErrors breaker { state failures } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.failingServices).toMatchObject([
      { service: 'mock', operation: 'broken', failures: 2, calls: 2, failureRate: 1, breaker: { state: 'CLOSED', failures: 2 } },
    ]);
    expect(res.data?.failingServices[0].recentErrors).toHaveLength(1);
    expect((await t.gql(`{ failingServices(minFailures: 3) { service } }`)).data?.failingServices).toEqual([]);
    const bad = await t.gql(`{ failingServices(minFailures: 0) { service } }`);
    expect(bad.errors?.[0]?.message).toBe('minFailures must be at least 1, got 0');
  });

  it('queue shows this instance live from its heartbeat', async () => {
    const res = await t.gql(`{ queue { pending due scheduled running oldestDueAgeMs liveInstances instances { id live concurrency inFlight } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.queue).toMatchObject({ pending: 0, due: 0, scheduled: 0, running: 0, oldestDueAgeMs: null, liveInstances: 1 });
    expect(res.data?.queue.instances).toMatchObject([{ id: 'stats-e2e', live: true }]);
  });

  it.each([
    ['"2x"', '"2x" is not a duration: use a whole number and a unit s, m, h or d, like "90s", "90m", "1h" or "7d"'],
    ['"1.5h"', '"1.5h" is not a duration'],
    ['"0m"', '"0m" is not a duration: it must be longer than 0'],
    ['"31d"', '"31d" is longer than the maximum of 30d'],
    ['90', 'a duration is a string'],
  ])('rejects window: %s with a clear error', async (literal, message) => {
    const inline = await t.gql(`{ jobStats(window: ${literal}) { service } }`);
    expect(inline.data).toBeUndefined();
    expect(inline.errors?.[0]?.message).toContain(message);
    const variable = await t.gql(`query($w: Duration) { failingServices(window: $w) { service } }`, { w: JSON.parse(literal) });
    expect(variable.errors?.[0]?.message).toContain(message);
  });

  it('accepts 90s, 90m and 7d', async () => {
    for (const w of ['90s', '90m', '7d']) {
      const res = await t.gql(`query($w: Duration) { jobStats(window: $w) { operation } }`, { w });
      expect(res.errors, w).toBeUndefined();
    }
  });
});
