// Each job is leased for its own operation's timeout, not the longest of every tenant's: a tenant
// admin registers an operation with a 24 h timeout, and a crashed worker's job of another
// operation (300 ms timeout) is still taken back by the sweeper within seconds. retryJob takes the
// lease anew, so raising a timeout that was too short helps the jobs retried after it.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { claimJobs } from '../../src/queue';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';
import { startUpstream, type Upstream } from '../helpers/upstream';

const DAY_MS = 24 * 3_600_000;
/** The short operation's timeout; its lease is this plus the 5 s margin (queue/lease.ts). */
const QUICK_TIMEOUT_MS = 300;
const QUICK_LEASE_MS = QUICK_TIMEOUT_MS + 5_000;

const REGISTER = `mutation($input: ServiceDefinitionInput!) { registerService(input: $input) { __typename } }`;
const UPDATE = REGISTER.replace('registerService', 'updateService');
const CANCEL = `mutation($id: ID!) { cancelJob(id: $id) { __typename } }`;
const RETRY = `mutation($id: ID!) { retryJob(id: $id) { __typename } }`;
const CALL = `mutation($input: CallServiceInput!) { callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } } }`;

let t: TestApp;
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
  // No workers: the test claims as a worker that then dies (never writes an outcome), so only the sweeper acts.
  t = await buildTestApp({
    services: `
services:
  - name: quick
    kind: http
    baseUrl: ${upstream.url}
    retry: { maxAttempts: 3 }
    operations:
      - name: ping
        path: /ping
        timeoutMs: ${QUICK_TIMEOUT_MS}
`,
    env: { WORKER_CONCURRENCY: '0' },
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const rowOf = async (id: string) => (await t.app.database.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('leases', () => {
  it("are per job: a crashed worker's short job comes back within seconds while another tenant has a 24 h operation", async () => {
    const acme = await createTenantWithKeys(t, 'acme');
    const registered = await gqlAs(t, acme.admin, REGISTER, { input: { name: 'slow-report', kind: 'MOCK', timeoutMs: DAY_MS, mockTemplate: 'news' } });
    expect(registered.body.data?.registerService.__typename).toBe('ServiceSuccess');
    const slow = await gqlAs(t, acme.client, CALL, { input: { service: 'slow-report', operation: 'headlines', input: { topic: 'tides' } } });
    const slowId = slow.body.data!.callService.job.id as string;
    const quickId = await t.call('quick', 'ping', { n: 1 });

    const claimed = await claimJobs(t.app.database.db, 'crashed-worker', 10);
    expect(claimed.map((j) => j.id).sort()).toEqual([quickId, slowId].sort());
    const leaseOf = (id: string) => {
      const job = claimed.find((j) => j.id === id)!;
      return job.lockedUntil!.getTime() - job.startedAt!.getTime();
    };
    expect(leaseOf(quickId)).toBeGreaterThan(QUICK_LEASE_MS - 1_000);
    expect(leaseOf(quickId)).toBeLessThan(QUICK_LEASE_MS + 1_000);
    expect(leaseOf(slowId)).toBeGreaterThan(DAY_MS);

    // The worker is gone: the sweeper (every 200 ms) takes the quick job back once its own lease has run out.
    const recovered = await t.waitForJob(quickId, (job) => job.status === 'PENDING', QUICK_LEASE_MS + 10_000);
    expect(recovered.attemptLog).toMatchObject([{ attempt: 1, outcome: 'LOST' }]);
    expect(Date.now()).toBeGreaterThanOrEqual(claimed.find((j) => j.id === quickId)!.lockedUntil!.getTime());
    // The 24 h job's lease still holds: nothing took it back.
    expect(await rowOf(slowId)).toMatchObject({ status: 'running', lockedBy: 'crashed-worker' });
    expect(upstream.requests).toEqual([]);
  }, 30_000);

  it('are taken anew by retryJob: a timeout raised since the job was accepted applies to its next run', async () => {
    const initech = await createTenantWithKeys(t, 'initech');
    const service = { name: 'reports', kind: 'MOCK', mockTemplate: 'news' };
    expect((await gqlAs(t, initech.admin, REGISTER, { input: { ...service, timeoutMs: 1_000 } })).body.data?.registerService.__typename).toBe('ServiceSuccess');
    const called = await gqlAs(t, initech.client, CALL, { input: { service: 'reports', operation: 'headlines', input: { topic: 'q3' } } });
    const id = called.body.data!.callService.job.id as string;
    expect((await rowOf(id)).leaseMs).toBe(6_000);
    expect((await gqlAs(t, initech.admin, CANCEL, { id })).body.data?.cancelJob.__typename).toBe('JobActionSuccess');

    expect((await gqlAs(t, initech.admin, UPDATE, { input: { ...service, timeoutMs: 60_000 } })).body.data?.updateService.__typename).toBe('ServiceSuccess');
    expect((await gqlAs(t, initech.admin, RETRY, { id })).body.data?.retryJob.__typename).toBe('JobActionSuccess');
    expect(await rowOf(id)).toMatchObject({ status: 'pending', leaseMs: 65_000 });
  });
});
