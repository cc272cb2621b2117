// The CLI against a seeded PostgreSQL, run as a child process: exact tables for jobs list, jobs
// stats and queue, parsable --json for every command, and the exit codes scripts rely on
// (2 usage, 3 not found, 4 refused).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { DEFAULT_TENANT_ID, instances, jobAttempts, jobCallbacks, jobs, tenants } from '../../src/db/schema';
import { beatInstance } from '../../src/queue';
import { runCliProcess } from '../helpers/cli-process';
import { createDatabaseUrl, hasPgServer, pgSkipReason } from '../helpers/db';
import { HOUR, MINUTE, seedJobs } from '../helpers/stats-seed';

const OTHER_TENANT = '11111111-1111-1111-1111-111111111111';
/** Each CLI start compiles and loads the app: 2-4 s, and far more when every core is busy. */
const TEST_TIMEOUT_MS = 180_000;
/** The services file the `services` commands read (with those registered through the API, none here). */
const SERVICES_YAML = `
services:
  - name: payments
    kind: http
    baseUrl: https://api.example.com/v1
    auth: { bearerTokenEnv: PAYMENTS_TOKEN }
    timeoutMs: 5000
    retry: { maxAttempts: 3 }
    breaker: { resetTimeoutMs: 10000 }
    operations:
      - name: createCharge
        method: POST
        path: /charges
        input: { type: object, required: [amount], properties: { amount: { type: integer, minimum: 1 } } }
        async:
          callbackField: callback_url
          correlationField: charge_request_id
          timeout: 5m
          verify: { standardWebhooks: { secretEnv: PAYMENTS_WEBHOOK_SECRET } }
          result: { status: /status, succeededWhen: [paid], failedWhen: [declined] }
        onSuccess: [{ service: mock, operation: echo, input: { charge: "{{output.id}}" } }]
      - name: getCharge
        method: GET
        path: '/charges/{chargeId}'
        input: { type: object, properties: { chargeId: { type: string } } }
        timeoutMs: 2000
        retry: { backoff: fixed }
  - name: mock
    kind: mock
    operations: [{ name: echo }]
`;

describe.skipIf(!hasPgServer())(`callgate CLI on PostgreSQL ${pgSkipReason()}`, { timeout: TEST_TIMEOUT_MS }, () => {
  let dropDatabase: () => Promise<void>;
  let url: string;
  let database: Database;
  let servicesDir: string;
  /** Seeded job ids by name: failed, succeeded, due, scheduled, runningA, runningGone. */
  const id: Record<string, string> = {};
  const created: Record<string, string> = {};

  const cli = (...args: string[]) =>
    runCliProcess(args, { DATABASE_URL: url, CALLGATE_DATA_DIR: undefined, CALLGATE_SERVICES_FILE: join(servicesDir, 'services.yaml') });
  const db = () => database.db;
  const utc = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
  /** The due job has waited exactly 2 h as of now, so its age prints as `2h 0m` however slow the box is. */
  const dueSince2h = () => db().update(jobs).set({ runAt: sql`now() - interval '2 hours'` }).where(eq(jobs.id, id.due!));

  beforeAll(async () => {
    const created_ = await createDatabaseUrl();
    url = created_.url!;
    dropDatabase = created_.drop;
    database = await openDatabase({ url, maxConnections: 2 });
    const names = ['failed', 'succeeded', 'due', 'scheduled', 'runningA', 'runningGone'];
    const ids = await seedJobs(db(), [
      {
        service: 'payments',
        operation: 'createCharge',
        status: 'failed',
        createdAgo: 50 * MINUTE,
        completedAgo: 40 * MINUTE,
        attempts: [
          { outcome: 'http_error', durationMs: 100, finishedAgo: 45 * MINUTE, error: 'HTTP 503' },
          { outcome: 'http_error', durationMs: 300, finishedAgo: 40 * MINUTE, error: 'HTTP 503' },
        ],
      },
      {
        service: 'payments',
        operation: 'createCharge',
        status: 'succeeded',
        createdAgo: 30 * MINUTE,
        completedAgo: 29 * MINUTE,
        attempts: [{ outcome: 'success', durationMs: 200, finishedAgo: 29 * MINUTE }],
      },
      { service: 'mock', operation: 'echo', status: 'pending', createdAgo: 2 * HOUR },
      {
        service: 'mock',
        operation: 'echo',
        status: 'pending',
        createdAgo: 10 * MINUTE,
        runAtAgo: -HOUR,
        attempts: [{ outcome: 'timeout', durationMs: 1000, finishedAgo: 9 * MINUTE, error: 'timed out after 1000 ms' }],
      },
      { service: 'mock', operation: 'echo', status: 'running', createdAgo: 5 * MINUTE, lockedBy: 'gw-a' },
      { service: 'mock', operation: 'echo', status: 'running', createdAgo: 3 * MINUTE, lockedBy: 'gw-gone' },
    ]);
    names.forEach((name, i) => (id[name] = ids[i]!));
    await db().update(jobs).set({ lastError: 'HTTP 503' }).where(eq(jobs.id, id.failed!));
    await db().update(jobs).set({ lastError: 'timed out after 1000 ms' }).where(eq(jobs.id, id.scheduled!));
    for (const row of await db().select({ id: jobs.id, createdAt: jobs.createdAt }).from(jobs)) {
      const name = names.find((n) => id[n] === row.id)!;
      created[name] = utc(row.createdAt);
    }
    // Another tenant's job: never shown.
    await db().insert(tenants).values({ id: OTHER_TENANT, name: 'other' });
    await seedJobs(db(), [{ tenantId: OTHER_TENANT, service: 'mock', operation: 'echo', status: 'failed', createdAgo: MINUTE, completedAgo: MINUTE }]);
    await beatInstance(db(), { id: 'gw-a', host: 'box-a', pid: 4242, concurrency: 32, inFlight: 1 });
    servicesDir = await mkdtemp(join(tmpdir(), 'callgate-cli-'));
    await writeFile(join(servicesDir, 'services.yaml'), SERVICES_YAML);
  });
  afterAll(async () => {
    await database?.close();
    await dropDatabase?.();
    await rm(servicesDir, { recursive: true, force: true });
  });

  it('jobs list: the tenant’s newest jobs as an aligned table, filters, and --json', async () => {
    const [all, filtered] = await Promise.all([
      cli('jobs', 'list'),
      cli('jobs', 'list', '--status', 'FAILED', '--service', 'payments', '--limit', '1', '--json'),
    ]);
    expect(all.code, all.stderr).toBe(0);
    const row = (name: string, status: string, service: string, operation: string, attempts: string, error: string) =>
      [id[name], status.padEnd(9), service.padEnd(8), operation.padEnd(12), attempts.padStart(8), created[name], error].join('  ').trimEnd();
    const header = ['ID'.padEnd(36), 'STATUS   ', 'SERVICE ', 'OPERATION   ', 'ATTEMPTS', 'CREATED             ', 'LAST ERROR'].join('  ');
    expect(all.stdout).toBe(
      [
        header,
        row('runningGone', 'running', 'mock', 'echo', '0/5', '-'),
        row('runningA', 'running', 'mock', 'echo', '0/5', '-'),
        row('scheduled', 'pending', 'mock', 'echo', '1/5', 'timed out after 1000 ms'),
        row('succeeded', 'succeeded', 'payments', 'createCharge', '1/5', '-'),
        row('failed', 'failed', 'payments', 'createCharge', '2/5', 'HTTP 503'),
        row('due', 'pending', 'mock', 'echo', '0/5', '-'),
      ].join('\n') + '\n',
    );
    expect(JSON.parse(filtered.stdout).map((j: { id: string; status: string }) => [j.id, j.status])).toEqual([[id.failed, 'failed']]);
  });

  it('jobs stats: counts, rates and call durations per operation over the window, exactly', async () => {
    await dueSince2h();
    const [text, json] = await Promise.all([cli('jobs', 'stats'), cli('jobs', 'stats', '--service', 'mock', '--window', '3h', '--json')]);
    expect(text.code, text.stderr).toBe(0);
    // payments: 2 created, 2 finished (1 succeeded), 1.5 attempts a job, 2 per 60 min; calls of 100,
    // 200, 300 ms: p95 = 200 + 0.9 * 100, p99 = 200 + 0.98 * 100. mock: 3 created in the hour (the
    // due job is 2 h old, yet the oldest due), nothing finished, 1 call of 1000 ms.
    expect(text.stdout).toBe(
      [
        'SERVICE   OPERATION     CREATED  FINISHED  SUCCESS  ATT/JOB  PER MIN  CALLS  AVG MS   P50   P95   P99  OLDEST DUE',
        'mock      echo                3         0        -        -        0      1    1000  1000  1000  1000       2h 0m',
        'payments  createCharge        2         2    50.0%      1.5     0.03      3     200   200   290   298           -',
      ].join('\n') + '\n',
    );
    // The 3 h window takes in the due job; --service leaves payments out.
    const stats = JSON.parse(json.stdout);
    expect(stats.map((s: { service: string; created: number; calls: number }) => [s.service, s.created, s.calls])).toEqual([['mock', 4, 1]]);
  });

  it('jobs failing: operations at or above --min-failures, with their recent errors', async () => {
    const [text, json] = await Promise.all([
      cli('jobs', 'failing', '--min-failures', '2'),
      cli('jobs', 'failing', '--min-failures', '1', '--json'),
    ]);
    const [last] = await db()
      .select({ at: jobAttempts.finishedAt })
      .from(jobAttempts)
      .where(eq(jobAttempts.jobId, id.failed!))
      .orderBy(desc(jobAttempts.finishedAt))
      .limit(1);
    expect(text.stdout).toBe(
      [
        'SERVICE   OPERATION     FAILURES  CALLS   RATE  LAST FAILURE',
        `payments  createCharge         2      3  66.7%  ${utc(last!.at)}`,
        '',
        'payments.createCharge, recent errors (newest first):',
        '  HTTP 503',
      ].join('\n') + '\n',
    );
    expect(JSON.parse(json.stdout).map((f: { operation: string; recentErrors: string[] }) => [f.operation, f.recentErrors])).toEqual([
      ['createCharge', ['HTTP 503']],
      ['echo', ['timed out after 1000 ms']],
    ]);
  });

  it('queue: live jobs, the oldest due job and the instances, exactly', async () => {
    await dueSince2h();
    // Seen "in an hour": live however long the CLI takes to start on a busy machine (live = seen in the last 15 s).
    await db().update(instances).set({ lastSeenAt: sql`now() + interval '1 hour'` }).where(eq(instances.id, 'gw-a'));
    const [text, json] = await Promise.all([cli('queue'), cli('queue', '--json')]);
    const [beat] = await db().select().from(instances);
    expect(text.stdout).toBe(
      [
        'pending           2',
        '  due             1',
        '  scheduled       1',
        '    retries       1',
        'running           2',
        'waiting callback  0',
        'oldest due        2h 0m',
        'live instances    1',
        '',
        'INSTANCE  HOST    PID  LIVE  CONCURRENCY  IN FLIGHT  RUNNING  LAST SEEN',
        `gw-a      box-a  4242  yes            32          1        1  ${utc(beat!.lastSeenAt)}`,
        'gw-gone   -         -  no              -          -        1  -',
      ].join('\n') + '\n',
    );
    const queue = JSON.parse(json.stdout);
    expect([queue.pending, queue.due, queue.running, queue.liveInstances, queue.runningByInstance]).toEqual([
      2,
      1,
      2,
      1,
      [
        { instance: 'gw-a', running: 1 },
        { instance: 'gw-gone', running: 1 },
      ],
    ]);
  });

  it('jobs show: the job and its attempts; an unknown id is exit 3', async () => {
    const [text, json, unknown] = await Promise.all([
      cli('jobs', 'show', id.failed!),
      cli('jobs', 'show', id.failed!, '--json'),
      cli('jobs', 'show', randomUUID()),
    ]);
    expect(text.code, text.stderr).toBe(0);
    const [job] = await db().select().from(jobs).where(eq(jobs.id, id.failed!));
    const attempts = await db().select().from(jobAttempts).where(eq(jobAttempts.jobId, id.failed!)).orderBy(jobAttempts.attempt);
    expect(text.stdout).toBe(
      [
        `id               ${id.failed}`,
        'status           failed',
        'service          payments.createCharge',
        'attempts         2/5',
        'priority         0',
        `created          ${created.failed}`,
        `run at           ${utc(job!.runAt)}`,
        'started          -',
        `completed        ${utc(job!.completedAt!)}`,
        'deadline         -',
        'locked by        -',
        'idempotency key  -',
        'correlation id   -',
        'parent           -',
        'follow-ups       -',
        'last error       HTTP 503',
        'input            {}',
        'output           -',
        '',
        '#  OUTCOME     HTTP   MS  STARTED               ERROR',
        `1  http_error     -  100  ${utc(attempts[0]!.startedAt)}  HTTP 503`,
        `2  http_error     -  300  ${utc(attempts[1]!.startedAt)}  HTTP 503`,
      ].join('\n') + '\n',
    );
    const shown = JSON.parse(json.stdout);
    expect([shown.id, shown.status, shown.attemptLog.map((a: { durationMs: number }) => a.durationMs)]).toEqual([id.failed, 'failed', [100, 300]]);
    expect([shown.parent, shown.followUpJobs, shown.callback]).toEqual([null, [], null]);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([3, '', expect.stringMatching(/^callgate: job [0-9a-f-]{36} not found\n$/)]);
  });

  it("jobs show: a job's parent, its declared follow-ups and the jobs they created, an async job's callback times, and --json", async () => {
    const echo = { service: 'mock', operation: 'echo', input: { of: '{{jobId}}' } };
    const [parent] = await db()
      .insert(jobs)
      .values({ tenantId: DEFAULT_TENANT_ID, service: 'mock', operation: 'echo', input: {}, status: 'succeeded', maxAttempts: 5, followUps: { onSuccess: [echo], onFailure: [{ ...echo, service: 'payments', operation: 'getCharge' }] } })
      .returning();
    const [child] = await db()
      .insert(jobs)
      .values({ tenantId: DEFAULT_TENANT_ID, service: 'mock', operation: 'echo', input: { of: parent!.id }, status: 'waiting_callback', maxAttempts: 5, parentJobId: parent!.id, followUpSlot: 'onSuccess:0', depth: 1 })
      .returning();
    const expiresAt = new Date(Date.now() + HOUR);
    await db().insert(jobCallbacks).values({ jobId: child!.id, tokenHash: randomUUID(), attempt: 1, acceptedAt: new Date(), expiresAt });
    try {
      const [parentText, childText, childJson] = await Promise.all([
        cli('jobs', 'show', parent!.id),
        cli('jobs', 'show', child!.id),
        cli('jobs', 'show', child!.id, '--json'),
      ]);
      expect(parentText.code, parentText.stderr).toBe(0);
      const parentLines = parentText.stdout.split('\n');
      expect(parentLines).toContain('parent           -');
      expect(parentLines).toContain('follow-ups       onSuccess: mock.echo; onFailure: payments.getCharge');
      expect(parentLines.some((l) => l.startsWith('callback'))).toBe(false);
      expect(parentText.stdout).toContain(
        [
          'FOLLOW-UP JOB                         SLOT         STATUS            SERVICE    CREATED',
          `${child!.id}  onSuccess:0  waiting_callback  mock.echo  ${utc(child!.createdAt)}`,
        ].join('\n'),
      );

      expect(childText.code, childText.stderr).toBe(0);
      const childLines = childText.stdout.split('\n');
      expect(childLines).toContain(`parent             ${parent!.id} (mock.echo, succeeded)`);
      expect(childLines).toContain('follow-ups         -');
      expect(childLines).toContain(`callback due       ${utc(expiresAt)}`);
      expect(childLines).toContain('callback received  -');
      expect(childText.stdout).not.toContain('FOLLOW-UP JOB');

      const shown = JSON.parse(childJson.stdout);
      expect(shown).toMatchObject({
        id: child!.id,
        parentJobId: parent!.id,
        parent: { id: parent!.id, status: 'succeeded', service: 'mock', operation: 'echo' },
        followUpJobs: [],
        callback: { expiresAt: expiresAt.toISOString(), receivedAt: null },
      });
      expect(JSON.parse((await cli('jobs', 'show', parent!.id, '--json')).stdout)).toMatchObject({
        followUps: { onSuccess: [echo] },
        followUpJobs: [{ id: child!.id, followUpSlot: 'onSuccess:0', status: 'waiting_callback' }],
        callback: null,
      });
    } finally {
      await db().delete(jobs).where(inArray(jobs.id, [parent!.id, child!.id]));
    }
  });

  it('services list and show: effective timeouts, retry and breaker settings, schemas; unknown is exit 3', async () => {
    const [list, listJson, show, showJson, missing] = await Promise.all([
      cli('services', 'list'),
      cli('services', 'list', '--json'),
      cli('services', 'show', 'payments'),
      cli('services', 'show', 'payments', '--json'),
      cli('services', 'show', 'nope'),
    ]);
    expect(list.stdout).toBe(
      [
        'SERVICE   KIND  OPERATIONS                TIMEOUT  BASE URL',
        'mock      mock  echo                     10000 ms  -',
        'payments  http  createCharge, getCharge   5000 ms  https://api.example.com/v1',
      ].join('\n') + '\n',
    );
    expect(JSON.parse(listJson.stdout).map((s: { name: string }) => s.name)).toEqual(['mock', 'payments']);
    expect(show.stdout).toContain('auth         bearer token from $PAYMENTS_TOKEN\n');
    expect(show.stdout).toContain('breaker      opens at 50% failures of at least 10 calls, probes after 10000 ms\n');
    expect(show.stdout).toContain(
      [
        'OPERATION     METHOD  PATH                 TIMEOUT  RETRY',
        'createCharge  POST    /charges             5000 ms  3 attempts, exponential 1000..60000 ms',
        'getCharge     GET     /charges/{chargeId}  2000 ms  3 attempts, fixed 1000..60000 ms',
      ].join('\n'),
    );
    expect(show.stdout).toContain(
      [
        'createCharge async: waits up to 5m for a callback (Standard Webhooks with $PAYMENTS_WEBHOOK_SECRET); return address in body field callback_url, correlation id in charge_request_id',
        'createCharge onSuccess: mock.echo',
      ].join('\n'),
    );
    expect(show.stdout).toContain('createCharge input schema:\n  {\n    "type": "object",');
    const payments = JSON.parse(showJson.stdout);
    expect(payments.breaker).toEqual({ errorThresholdPercentage: 50, volumeThreshold: 10, resetTimeoutMs: 10_000 });
    expect(payments.operations[1]).toMatchObject({ name: 'getCharge', timeoutMs: 2000, retry: { maxAttempts: 3, backoff: 'fixed' } });
    expect(payments.operations[0]).toMatchObject({ async: { timeout: '5m' }, onSuccess: [{ service: 'mock', operation: 'echo' }], onFailure: [] });
    expect([missing.code, missing.stderr]).toEqual([3, 'callgate: no service named "nope" (see `callgate services list`)\n']);
  });

  it('a bad flag, a bad value, a missing argument or an unknown command is a usage error, exit 2', async () => {
    const results = await Promise.all([
      cli('jobs', 'list', '--bogus'),
      cli('jobs', 'stats', '--window', '2y'),
      cli('jobs', 'retry'),
      cli('jobs', 'frobnicate'),
    ]);
    expect(results.map((r) => [r.code, r.stdout, r.stderr.split('\n')[0]])).toEqual([
      [2, '', "callgate: jobs list: unknown flag '--bogus'"],
      [2, '', 'callgate: --window: "2y" is not a duration: use a whole number and a unit s, m, h or d, like "90s", "90m", "1h" or "7d"'],
      [2, '', 'callgate: missing ID; usage: callgate jobs retry ID [--json]'],
      [2, '', 'callgate: unknown command "jobs frobnicate"; jobs has: stats, failing, list, show, retry, cancel'],
    ]);
  });

  it('jobs retry and cancel change the job, refuse an invalid transition (exit 4), and say so', async () => {
    const statusOf = async (jobId: string) => (await db().select({ status: jobs.status, attempts: jobs.attempts }).from(jobs).where(eq(jobs.id, jobId)))[0];
    const [retried, cancelled, badRetry, badCancel] = await Promise.all([
      cli('jobs', 'retry', id.failed!, '--json'),
      cli('jobs', 'cancel', id.due!),
      cli('jobs', 'retry', id.succeeded!),
      cli('jobs', 'cancel', id.succeeded!),
    ]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: id.failed, status: 'pending', attempts: 0 });
    expect(await statusOf(id.failed!)).toEqual({ status: 'pending', attempts: 0 });
    expect([cancelled.code, cancelled.stdout]).toEqual([0, `job ${id.due} cancelled: now cancelled\n`]);
    expect(await statusOf(id.due!)).toEqual({ status: 'cancelled', attempts: 0 });
    expect([badRetry.code, badRetry.stderr]).toEqual([
      4,
      `callgate: cannot retry job ${id.succeeded}: it is succeeded (only failed, cancelled, timed_out, expired jobs can be retried)\n`,
    ]);
    expect([badCancel.code, badCancel.stderr]).toEqual([
      4,
      `callgate: cannot cancel job ${id.succeeded}: it is succeeded (only pending, running, waiting_callback jobs can be cancelled)\n`,
    ]);
    expect(await statusOf(id.succeeded!)).toEqual({ status: 'succeeded', attempts: 1 });
  });
});
