// `npm start` stopped the way users stop it: a terminal's Ctrl-C or a process manager signals the
// whole process group (npm relays the signal too, so node gets it twice), or only npm's pid is
// signalled. Either way one drain runs: /readyz turns 503, in-flight calls finish or go back to
// PENDING, open SSE subscriptions end with `complete`, and no process of the group is left.
import { beforeEach, describe, expect, it } from 'vitest';
import { groupAlive } from '../helpers/process-group';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

/** Quick calls end inside the grace; slow ones cannot. */
const QUICK_MS = 1_000;
const SLOW_MS = 30_000;
const GRACE_MS = 3_000;
/** The grace plus closing everything, with slack for two busy cores. */
const EXIT_BOUND_MS = GRACE_MS + 10_000;

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

interface JobRow {
  id: string;
  operation: string;
  status: string;
  locked_by: string | null;
}

describe.skipIf(!hasPgServer())(`npm start on a signal${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('signals');
  let servicesFile: string;

  beforeEach(async () => {
    servicesFile = await f.writeServices(`
services:
  - name: shop
    kind: http
    baseUrl: ${f.upstream.url}
    operations:
      - name: quick
        path: /quick
        timeoutMs: 60000
      - name: slow
        path: /slow
        timeoutMs: 60000
`);
    f.upstream.script('/quick', { status: 200, body: { ok: true }, delayMs: QUICK_MS });
    f.upstream.script('/slow', { status: 200, body: { ok: true }, delayMs: SLOW_MS });
    await f.sql`truncate jobs cascade`;
  });

  /** `npm start` as a terminal runs it: its own process group, with two slow and two quick calls in flight. */
  async function startWithJobsInFlight() {
    const env = { WORKER_CONCURRENCY: '4', CALLGATE_DRAIN_GRACE_MS: String(GRACE_MS) };
    const gateway = await f.start('signals', servicesFile, env, 'npm');
    const ids: string[] = [];
    for (const operation of ['slow', 'slow', 'quick', 'quick']) {
      const res = await gateway.gql<{ callService: { job: { id: string } } }>(CALL, { input: { service: 'shop', operation, input: {} } });
      ids.push(res.data!.callService.job.id);
    }
    await expect
      .poll(async () => (await f.sql`select count(*)::int as n from jobs where status = 'running'`)[0]!.n, { timeout: 20_000, interval: 50 })
      .toBe(4);
    return { ...gateway, ids };
  }

  const readJobs = () => f.sql<JobRow[]>`select id, operation, status, locked_by from jobs`;

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the process group drains once and exits 0', async (signal) => {
    const gateway = await startWithJobsInFlight();
    const readyz = gateway.url.replace('/graphql', '/readyz');
    expect((await fetch(readyz)).status).toBe(200);
    // A subscriber following a slow job over SSE: at shutdown its stream must end with `complete`.
    const sse = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `subscription { jobUpdated(id: "${gateway.ids[0]}") { status } }` }),
    });
    let streamed = '';
    const stream = (async () => {
      const decoder = new TextDecoder();
      const reader = sse.body!.getReader();
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) streamed += decoder.decode(r.value, { stream: true });
      } catch (err) {
        throw new Error(`SSE stream cut after: ${JSON.stringify(streamed)} (${(err as Error).message})\n${gateway.output()}`);
      }
      return streamed;
    })();

    gateway.kill(signal);
    const signalledAt = Date.now();
    // The drain holds the slow calls for the grace period; /readyz must already refuse traffic.
    await expect.poll(async () => (await fetch(readyz)).status, { timeout: GRACE_MS, interval: 50 }).toBe(503);

    expect(await gateway.exited, gateway.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(EXIT_BOUND_MS);
    await expect.poll(() => groupAlive(gateway.pid), { timeout: 5_000 }).toBe(false);
    expect(gateway.output()).toContain('"msg":"callgate stopped"');
    expect(gateway.output().match(/"msg":"stopping"/g)).toHaveLength(1);
    expect(gateway.output()).not.toContain('second stop signal');

    const jobs = await readJobs();
    expect(jobs).toHaveLength(4);
    for (const job of jobs) {
      expect(job.status, job.operation).toBe(job.operation === 'quick' ? 'succeeded' : 'pending');
      expect(job.locked_by).toBeNull();
    }
    const events = await stream;
    // It saw the call start, the drain put the job back, then the stream ended cleanly.
    expect(events).toMatch(/"status":"RUNNING"[\s\S]*"status":"PENDING"[\s\S]*event: complete\s*\n/);
  }, 120_000);

  it('SIGTERM to the npm process alone leaves no process of the group behind', async () => {
    const gateway = await startWithJobsInFlight();
    process.kill(gateway.pid, 'SIGTERM');
    expect(await gateway.exited, gateway.output()).toEqual({ code: 0, signal: null });
    await expect.poll(() => groupAlive(gateway.pid), { timeout: EXIT_BOUND_MS }).toBe(false);
    expect(gateway.output()).toContain('"msg":"callgate stopped"');
    const jobs = await readJobs();
    expect(jobs).toHaveLength(4);
    for (const job of jobs) expect(job.status, job.operation).not.toBe('running');
  }, 120_000);
});
