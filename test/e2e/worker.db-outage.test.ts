// Outcomes survive database faults (issue 9 item 5), on a PostgreSQL cluster of the test's own
// that it crashes (pg_ctl stop -m immediate) and starts again under a gateway process:
// 1. a 10 s outage under a steady load of enqueues and slow upstream calls: every acknowledged
//    job ends, no job is called twice (outcomes of calls that ended during the outage were kept
//    and written once the database came back, well inside their leases), and every request made
//    during the outage got a typed DATABASE_UNAVAILABLE error within seconds; /readyz said 503.
// 2. SIGTERM to `npm start`'s process group during an outage: the drain keeps trying for its
//    grace period, then the process exits non-zero and its log names the jobs whose outcomes were
//    never written; another instance later sends those calls again, with the same Idempotency-Key.
import postgres from 'postgres';
import { newCallbackToken } from '../../src/callbacks/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../scripts/gateway-process';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { clusterSkipReason, startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const skip = !hasPgServer() ? `PostgreSQL-server tests are off: ${pgSkipReason()}` : clusterSkipReason();
/** Each call takes this long upstream, so many are in flight when the database goes. */
const CALL_MS = 2_500;
/** Lease = timeout + 5 s margin = 25 s: longer than the outage, so no outcome has to be given up. */
const TIMEOUT_MS = 20_000;
const OUTAGE_MS = 10_000;
/** "A few seconds" for an error while the database is down, with slack for two busy cores. */
const FAST_ERROR_MS = 8_000;
const DRAIN_GRACE_MS = 3_000;
/** Closing the rest (heartbeat row, event bus, connections) against a dead database: bounded by its timeouts. */
const STOP_SLACK_MS = 20_000;

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

interface Sent {
  at: number;
  ms: number;
  jobId?: string;
  code?: string;
  detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One callService, bounded so a hang shows up as a failure rather than a stuck test. */
async function callService(url: string, n: number): Promise<Sent> {
  const at = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: CALL, variables: { input: { service: 'shop', operation: 'slow', input: { n } } } }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await res.json()) as { data?: { callService?: { job?: { id: string } } }; errors?: { extensions?: { code?: string } }[] };
    const jobId = body.data?.callService?.job?.id;
    const code = body.errors?.[0]?.extensions?.code;
    return { at, ms: Date.now() - at, jobId, code, detail: `${res.status} ${JSON.stringify(body).slice(0, 300)}` };
  } catch (err) {
    return { at, ms: Date.now() - at, detail: `request failed: ${(err as Error).message}` };
  }
}

describe.skipIf(skip !== undefined)(`outcomes and a database outage${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: ThrowawayCluster;
  let upstream: Upstream;
  let dir: string;
  let servicesFile: string;
  let sql: postgres.Sql;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    upstream = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'callgate-outage-'));
    servicesFile = join(dir, 'services.yaml');
    await writeFile(
      servicesFile,
      `
services:
  - name: shop
    kind: http
    baseUrl: ${upstream.url}
    retry: { maxAttempts: 3 }
    operations:
      - name: slow
        path: /slow
        timeoutMs: ${TIMEOUT_MS}
`,
    );
    upstream.script('/slow', { status: 200, body: { ok: true }, delayMs: CALL_MS });
    sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
  }, 60_000);
  afterAll(async () => {
    for (const g of gateways) g.kill('SIGKILL');
    await Promise.all(gateways.map((g) => g.exited));
    await sql?.end({ timeout: 1 });
    await upstream?.close();
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = async (instanceId: string, entry?: 'npm') => {
    const gateway = await startGatewayProcess({
      databaseUrl: cluster.url,
      servicesFile,
      entry,
      env: {
        CALLGATE_INSTANCE_ID: instanceId,
        WORKER_CONCURRENCY: '16',
        CALLGATE_SWEEP_INTERVAL_MS: '1000',
        CALLGATE_DRAIN_GRACE_MS: String(DRAIN_GRACE_MS),
      },
    });
    gateways.push(gateway);
    return gateway;
  };
  const requestsOf = (jobId: string) => upstream.requests.filter((r) => r.headers['idempotency-key'] === jobId);

  it('keeps every acknowledged job, calls none twice, and answers fast typed errors during a 10 s outage', async () => {
    const gateway = await start('outage-1');
    const sent: Sent[] = [];
    let loading = true;
    let n = 0;
    const load = async () => {
      while (loading) {
        sent.push(await callService(gateway.url, n++));
        await sleep(200);
      }
    };
    const loaders = [load(), load()];
    await sleep(5_000);

    await cluster.crash();
    const downAt = Date.now();
    await sleep(1_000);
    const ready = await fetch(gateway.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', database: 'down' });
    // A provider's callback cannot be looked up: 503, so that it sends it again later.
    const callback = await fetch(gateway.url.replace('/graphql', `/callbacks/${newCallbackToken().token}`), { method: 'POST', body: '{}' });
    expect(callback.status).toBe(503);
    await sleep(OUTAGE_MS - 1_000);
    const upAt = Date.now();
    await cluster.start();
    await sleep(4_000);
    loading = false;
    await Promise.all(loaders);

    const acked = sent.flatMap((s) => (s.jobId ? [s.jobId] : []));
    expect(acked.length).toBeGreaterThan(10);
    // Every acknowledged job reaches a final state (jobs whose claim was lost with the database
    // wait for their lease to run out first).
    await expect
      .poll(async () => (await sql`select count(*)::int as n from jobs where status not in ('succeeded', 'failed', 'cancelled', 'expired')`)[0]?.n, {
        timeout: 90_000,
        interval: 500,
      })
      .toBe(0);
    const rows = await sql<{ id: string; status: string }[]>`select id, status from jobs where id = any(${acked})`;
    expect(rows).toHaveLength(acked.length);
    expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([]);

    // Calls that ended while the database was down: their outcomes were kept, not resent.
    const endedDuringOutage = acked.filter((id) => requestsOf(id).some((r) => r.receivedAt + CALL_MS > downAt && r.receivedAt + CALL_MS < upAt));
    expect(endedDuringOutage.length).toBeGreaterThan(0);
    const repeated = acked.filter((id) => requestsOf(id).length !== 1).map((id) => [id, requestsOf(id).length]);
    expect(repeated).toEqual([]);

    // Requests made while the database was down: a typed error, fast.
    const during = sent.filter((s) => s.at > downAt + 500 && s.at + s.ms < upAt);
    // At least one from each of the two loaders: each request may take up to FAST_ERROR_MS.
    expect(during.length).toBeGreaterThanOrEqual(2);
    for (const s of during) {
      expect(s.code, s.detail).toBe('DATABASE_UNAVAILABLE');
      expect(s.ms, s.detail).toBeLessThan(FAST_ERROR_MS);
    }
    expect(during[0]?.detail).toContain('database unavailable, try again');

    gateway.kill('SIGTERM');
    expect(await gateway.exited, gateway.output()).toEqual({ code: 0, signal: null });
  }, 240_000);

  it('exits non-zero on SIGTERM during an outage, naming the jobs whose outcomes were not written', async () => {
    // Through `npm start`, signalled as a process group, as a terminal or a process manager stops it.
    const gateway = await start('outage-2', 'npm');
    const before = upstream.requests.length;
    const sent = await Promise.all([0, 1, 2].map((i) => callService(gateway.url, 1_000 + i)));
    const ids = sent.map((s) => s.jobId);
    expect(ids.every(Boolean), JSON.stringify(sent)).toBe(true);
    await expect.poll(() => upstream.requests.length - before, { timeout: 30_000, interval: 50 }).toBe(3);
    await cluster.crash();
    // The calls end while the database is down; their outcomes wait in the worker.
    await sleep(CALL_MS + 1_000);
    gateway.kill('SIGTERM');
    const termAt = Date.now();
    const exit = await gateway.exited;
    const output = gateway.output();
    expect(exit.code, output).not.toBe(0);
    expect(exit.code, output).not.toBeNull();
    // It kept trying for the grace period before giving up, and a dead database did not hold up the rest of the stop.
    const stoppingMs = Date.now() - termAt;
    expect(stoppingMs).toBeGreaterThanOrEqual(DRAIN_GRACE_MS);
    expect(stoppingMs, output).toBeLessThan(DRAIN_GRACE_MS + STOP_SLACK_MS);
    const named = output.split('\n').find((line) => line.includes('outcomes unwritten') && line.includes('stopped with'));
    expect(named, output).toBeDefined();
    for (const id of ids) expect(named).toContain(id);

    // Once the database is back, another instance's sweeper takes the jobs back when their leases
    // run out; the calls are sent again with the same Idempotency-Key, and the first attempt is
    // logged as what it was: sent, outcome unknown.
    await cluster.start();
    await start('outage-3');
    const finals = () => sql<{ id: string; status: string }[]>`select id, status from jobs where id = any(${ids as string[]})`;
    await expect.poll(async () => (await finals()).every((j) => j.status === 'succeeded'), { timeout: 90_000, interval: 500 }).toBe(true);
    for (const id of ids as string[]) expect(requestsOf(id), id).toHaveLength(2);
    const attempts = await sql<{ job_id: string; attempt: number; outcome: string; error: string | null }[]>`
      select job_id, attempt, outcome, error from job_attempts where job_id = any(${ids as string[]}) order by job_id, attempt`;
    for (const id of ids as string[]) {
      expect(attempts.filter((a) => a.job_id === id)).toEqual([
        { job_id: id, attempt: 1, outcome: 'lost', error: 'sent, outcome unknown: the lease of worker outage-2 ran out before it recorded how the call ended' },
        { job_id: id, attempt: 2, outcome: 'success', error: null },
      ]);
    }
  }, 240_000);
});
