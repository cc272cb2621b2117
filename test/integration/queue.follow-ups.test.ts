// Follow-ups at the statement level, on the real PostgreSQL: each ending that fires a list creates
// its jobs in the ending's transaction, exactly once, built from the parent by the templates; what
// cannot run is created FAILED with the reason, and the parent is never touched by it.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, jobs, type JobRow } from '../../src/db/schema';
import { insertTenant } from '../../src/db/tenants';
import { newCallbackToken } from '../../src/callbacks/token';
import type { FinalResult } from '../../src/callbacks/result';
import {
  acceptCallback,
  armCallback,
  cancelJob,
  claimJobs,
  completeJob,
  createFollowUps,
  enqueueJob,
  expireOverdueJobs,
  failJob,
  MAX_FOLLOW_UP_DEPTH,
  receiveCallback,
  recoverExpiredLeases,
  retryJob,
  scheduleRetry,
  submitJob,
  timeOutCallbacks,
  type JobRequest,
  type NewJob,
} from '../../src/queue';
import { createRegistry, parseServices, type Registry } from '../../src/registry';
import { useTestDatabase } from '../helpers/db';

const SERVICES = parseServices(`
services:
  - name: shop
    kind: mock
    operations:
      - name: charge
        input:
          type: object
          required: [amount]
          properties: { amount: { type: number }, email: { type: string } }
        onSuccess:
          - service: mail
            operation: send
            input: { to: "{{input.email}}", amount: "{{output.amount}}", charge: "{{output}}", subject: "Receipt for {{jobId}}" }
        onFailure:
          - service: stock
            operation: release
            input: { reason: "{{error}}", amount: "{{input.amount}}" }
  - name: mail
    kind: mock
    retry: { maxAttempts: 3 }
    operations:
      - name: send
        maxAgeMs: 60000
        input:
          type: object
          required: [to, amount]
          properties: { to: { type: string }, amount: { type: number } }
  - name: stock
    kind: mock
    operations:
      - name: release
  - name: loop
    kind: mock
    operations:
      - name: again
        onSuccess: [{ service: loop, operation: again, input: { n: "{{input.n}}" } }]
`);
const registry = createRegistry(SERVICES);
const LIMITS = { maxInputBytes: 10_000 };
const RULES = { registry, maxInputBytes: LIMITS.maxInputBytes };

const t = useTestDatabase();
const db = () => t.database.db;
/** callService's batcher stores one job at a time here: the tests look at what submitJob decides. */
const enqueue = (job: NewJob) => enqueueJob(db(), job);
beforeEach(async () => {
  await db().delete(jobs);
});

async function submit(over: Partial<JobRequest> = {}, reg: Registry = registry): Promise<JobRow> {
  const req = { tenantId: DEFAULT_TENANT_ID, service: 'shop', operation: 'charge', input: { amount: 42, email: 'a@example.com' }, ...over };
  const result = await submitJob(enqueue, reg, req, LIMITS);
  if (result.kind !== 'enqueued') throw new Error(JSON.stringify(result));
  return result.job;
}

/** Claims the one due job, which must be `id`; returns the claim for the ending writes. */
async function claim(id: string) {
  const [claimed] = await claimJobs(db(), 'w1', 1);
  expect(claimed?.id).toBe(id);
  return { jobId: id, claimToken: claimed!.claimToken, followUpRules: claimed!.followUps == null ? undefined : RULES };
}

const childrenOf = (parentId: string) => db().select().from(jobs).where(eq(jobs.parentJobId, parentId)).orderBy(jobs.followUpSlot);
const row = async (id: string) => (await db().select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('the ending that fires a list', () => {
  it('SUCCEEDED creates the onSuccess job: templated input with types kept, parent, tenant, correlation id, the target policy', async () => {
    const parent = await submit({ correlationId: 'order-7' });
    const output = { amount: 42, id: 'ch_1', card: { last4: '4242' } };
    const ended = await completeJob(db(), { ...(await claim(parent.id)), output });
    expect(ended).toMatchObject({ status: 'succeeded', followUps: [{ service: 'mail', operation: 'send', status: 'pending', parentJobId: parent.id }] });

    const [child, ...more] = await childrenOf(parent.id);
    expect(more).toEqual([]);
    expect(child).toMatchObject({
      service: 'mail',
      operation: 'send',
      status: 'pending',
      input: { to: 'a@example.com', amount: 42, charge: output, subject: `Receipt for ${parent.id}` },
      parentJobId: parent.id,
      followUpSlot: 'onSuccess:0',
      depth: 1,
      tenantId: DEFAULT_TENANT_ID,
      correlationId: 'order-7',
      maxAttempts: 3,
      followUps: null,
    });
    expect(typeof child!.input).toBe('object');
    expect((child!.deadline?.getTime() ?? 0) - Date.now()).toBeGreaterThan(50_000);
    // and it runs like any job
    const running = await claim(child!.id);
    expect(await completeJob(db(), { ...running, output: { sent: true } })).toMatchObject({ status: 'succeeded' });
  });

  it('FAILED creates the onFailure job with the error', async () => {
    const parent = await submit();
    await failJob(db(), { ...(await claim(parent.id)), error: 'HTTP 402: card declined' });
    expect(await childrenOf(parent.id)).toMatchObject([
      { service: 'stock', operation: 'release', status: 'pending', followUpSlot: 'onFailure:0', input: { reason: 'HTTP 402: card declined', amount: 42 } },
    ]);
  });

  it('a retry past the deadline (EXPIRED) creates the onFailure job; a retry in time creates none', async () => {
    const late = await submit({ deadline: new Date(Date.now() + 60_000) });
    expect(await scheduleRetry(db(), { ...(await claim(late.id)), error: 'HTTP 503', delayMs: 120_000 })).toMatchObject({ status: 'expired' });
    expect(await childrenOf(late.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: 'HTTP 503' } }]);
    await db().delete(jobs).where(eq(jobs.parentJobId, late.id)); // due now: it would be claimed next

    const again = await submit();
    expect(await scheduleRetry(db(), { ...(await claim(again.id)), error: 'HTTP 503', delayMs: 60_000 })).toMatchObject({ status: 'pending' });
    expect(await childrenOf(again.id)).toEqual([]);
  });

  it('CANCELLED creates none', async () => {
    const parent = await submit();
    expect(await cancelJob(db(), DEFAULT_TENANT_ID, parent.id)).toMatchObject({ kind: 'done' });
    expect(await childrenOf(parent.id)).toEqual([]);
  });

  it('the sweeper: FAILED after a lost last attempt, and EXPIRED past the deadline, each create the onFailure job', async () => {
    const lost = await submit({ maxAttempts: 1 });
    await claim(lost.id);
    await db().update(jobs).set({ lockedUntil: sql`now() - interval '1 second'` }).where(eq(jobs.id, lost.id));
    expect(await recoverExpiredLeases(db(), RULES)).toEqual([
      { id: lost.id, service: 'shop', operation: 'charge', status: 'failed', followUps: [expect.objectContaining({ service: 'stock', parentJobId: lost.id })] },
    ]);
    expect(await childrenOf(lost.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: expect.stringContaining('outcome unknown') } }]);

    const overdue = await submit({ deadline: new Date(Date.now() + 60_000) });
    await db().update(jobs).set({ deadline: sql`now() - interval '1 second'` }).where(eq(jobs.id, overdue.id));
    expect(await expireOverdueJobs(db(), RULES)).toMatchObject([{ id: overdue.id, status: 'expired' }]);
    expect(await childrenOf(overdue.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: 'deadline passed before the job could be sent' } }]);
  });

  it('a job without follow-ups stores none (SQL NULL: the worker keeps its one-statement ending)', async () => {
    const plain = await submit({ service: 'stock', operation: 'release', input: {} });
    const [stored] = await db().select({ none: sql<boolean>`${jobs.followUps} is null` }).from(jobs).where(eq(jobs.id, plain.id));
    expect(stored).toEqual({ none: true });
  });
});

describe('the endings of an async job', () => {
  const attempt = (outcome: 'accepted' | 'callback') => ({ attempt: 1, startedAt: new Date(), finishedAt: new Date(), durationMs: 1, outcome });
  /** Claims the job and stores its return address, as the worker does before sending. */
  async function armed(id: string) {
    const ids = await claim(id);
    const { hash } = newCallbackToken();
    expect(await armCallback(db(), { jobId: id, claimToken: ids.claimToken, attempt: 1, tokenHash: hash })).toEqual({ kind: 'armed' });
    return { ...ids, tokenHash: hash };
  }
  const callback = (tokenHash: string, result: FinalResult) =>
    receiveCallback(db(), { tokenHash, webhookId: undefined, result, attempt: { ...attempt('callback') } }, RULES);

  it('a callback after the 2xx ends the job and creates its onSuccess job in that transaction', async () => {
    const parent = await submit();
    const a = await armed(parent.id);
    expect(await acceptCallback(db(), { ...a, attempt: attempt('accepted'), timeoutMs: 60_000 })).toMatchObject({ status: 'waiting_callback' });
    expect(await childrenOf(parent.id)).toEqual([]);
    const received = await callback(a.tokenHash, { kind: 'succeeded', output: { amount: 42 } });
    expect(received).toMatchObject({ kind: 'completed', job: { status: 'succeeded', followUps: [{ service: 'mail', status: 'pending' }] } });
    expect(await childrenOf(parent.id)).toMatchObject([{ followUpSlot: 'onSuccess:0', input: { to: 'a@example.com', amount: 42 } }]);
  });

  it('a callback before the 2xx: the accept ends the job and creates the follow-up, once', async () => {
    const parent = await submit();
    const a = await armed(parent.id);
    expect(await callback(a.tokenHash, { kind: 'failed', error: 'card expired' })).toEqual({ kind: 'stored' });
    const ended = await acceptCallback(db(), { ...a, attempt: attempt('accepted'), timeoutMs: 60_000 });
    expect(ended).toMatchObject({ status: 'failed', followUps: [{ service: 'stock', operation: 'release' }] });
    expect(await childrenOf(parent.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: 'card expired', amount: 42 } }]);
  });

  it('TIMED_OUT creates the onFailure job', async () => {
    const parent = await submit();
    const a = await armed(parent.id);
    await acceptCallback(db(), { ...a, attempt: attempt('accepted'), timeoutMs: 1 });
    await expect.poll(async () => (await timeOutCallbacks(db(), RULES)).map((j) => [j.status, j.followUps?.length])).toEqual([['timed_out', 1]]);
    expect(await childrenOf(parent.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: 'no callback before the deadline' } }]);
  });
});

describe('exactly once', () => {
  it('applying the ending again creates nothing more: the fenced write is refused, createFollowUps skips filled slots', async () => {
    const parent = await submit();
    const claimed = await claim(parent.id);
    await completeJob(db(), { ...claimed, output: { amount: 42 } });
    expect(await completeJob(db(), { ...claimed, output: { amount: 42 } })).toBeNull();
    const ended = await row(parent.id);
    expect(await createFollowUps(db(), RULES, [ended])).toEqual([]);
    await db().transaction((tx) => createFollowUps(tx, RULES, [ended, ended]));
    expect(await childrenOf(parent.id)).toHaveLength(1);
  });

  it('a parent revived by retryJob that ends the same way creates nothing new; ending the other way fills its own slot', async () => {
    const parent = await submit();
    await failJob(db(), { ...(await claim(parent.id)), error: 'HTTP 503' });
    // The follow-up stays, not due, so the parent is the job claimed next.
    await db().update(jobs).set({ runAt: sql`now() + interval '1 hour'` }).where(eq(jobs.parentJobId, parent.id));
    expect(await retryJob(db(), DEFAULT_TENANT_ID, parent.id, registry)).toMatchObject({ kind: 'done' });
    await failJob(db(), { ...(await claim(parent.id)), error: 'HTTP 500' });
    expect(await childrenOf(parent.id)).toMatchObject([{ followUpSlot: 'onFailure:0', input: { reason: 'HTTP 503' } }]);
    expect(await retryJob(db(), DEFAULT_TENANT_ID, parent.id, registry)).toMatchObject({ kind: 'done' });
    await completeJob(db(), { ...(await claim(parent.id)), output: { amount: 42 } });
    expect((await childrenOf(parent.id)).map((c) => c.followUpSlot)).toEqual(['onFailure:0', 'onSuccess:0']);
  });
});

describe('a follow-up that cannot run', () => {
  it('is created FAILED when the rendered input breaks the target schema; the parent stays SUCCEEDED', async () => {
    const parent = await submit();
    await completeJob(db(), { ...(await claim(parent.id)), output: { id: 'ch_1' } }); // no amount for the receipt
    const [child] = await childrenOf(parent.id);
    expect(child).toMatchObject({ status: 'failed', attempts: 0, service: 'mail', operation: 'send' });
    expect(child!.lastError).toBe("follow-up not run: its input does not match mail.send's input schema: /amount must be number");
    expect(child!.completedAt).toBeInstanceOf(Date);
    expect(await row(parent.id)).toMatchObject({ status: 'succeeded', output: { id: 'ch_1' }, lastError: null });
    expect(await claimJobs(db(), 'w1', 10)).toEqual([]);
  });

  it('is created FAILED when its input is larger than any job may take', async () => {
    const parent = await submit();
    await completeJob(db(), { ...(await claim(parent.id)), output: { amount: 42, receipt: 'x'.repeat(LIMITS.maxInputBytes) } });
    const [child] = await childrenOf(parent.id);
    expect(child).toMatchObject({ status: 'failed', service: 'mail' });
    expect(child!.lastError).toMatch(/^follow-up not run: its input cannot be accepted: \/ is \d+ bytes of JSON; at most 10000 are accepted$/);
  });

  it('is created FAILED when its service is gone, or belongs to another tenant', async () => {
    const parent = await submit();
    const claimed = await claim(parent.id);
    const withoutMail = createRegistry(SERVICES.filter((s) => s.name !== 'mail'));
    await completeJob(db(), { ...claimed, output: { amount: 42 }, followUpRules: { ...RULES, registry: withoutMail } });
    expect(await childrenOf(parent.id)).toMatchObject([{ status: 'failed', lastError: 'follow-up not run: mail.send is not registered' }]);

    const other = (await insertTenant(db(), `other-${randomUUID()}`))!;
    const theirs = createRegistry(SERVICES.map((s) => (s.name === 'mail' ? { ...s, source: 'api' as const, tenantId: other.id } : s)));
    await createFollowUps(db(), { ...RULES, registry: theirs }, [{ ...(await row(parent.id)), id: (await submit()).id, status: 'succeeded' }]);
    const [, foreign] = await db().select().from(jobs).where(eq(jobs.service, 'mail')).orderBy(jobs.createdAt);
    expect(foreign).toMatchObject({ status: 'failed', tenantId: DEFAULT_TENANT_ID, lastError: 'follow-up not run: mail.send is not registered' });
  });

  it(`stops a chain that calls itself: the follow-up past depth ${MAX_FOLLOW_UP_DEPTH} is created FAILED and fires nothing`, async () => {
    let current = await submit({ service: 'loop', operation: 'again', input: { n: 1 } });
    for (let depth = 0; depth <= MAX_FOLLOW_UP_DEPTH; depth++) {
      expect(current).toMatchObject({ depth, status: 'pending' });
      await completeJob(db(), { ...(await claim(current.id)), output: {} });
      const [next] = await childrenOf(current.id);
      current = next!;
    }
    expect(current).toMatchObject({ depth: MAX_FOLLOW_UP_DEPTH + 1, status: 'failed', followUps: null, input: { n: 1 } });
    expect(current.lastError).toContain(`more than ${MAX_FOLLOW_UP_DEPTH}`);
    expect(await db().select().from(jobs)).toHaveLength(MAX_FOLLOW_UP_DEPTH + 2);
  });
});

describe('callService with follow-ups', () => {
  const refused = async (over: Partial<JobRequest>) => {
    const result = await submitJob(enqueue, registry, { tenantId: DEFAULT_TENANT_ID, service: 'stock', operation: 'release', input: { n: 1 }, ...over }, LIMITS);
    expect(await db().select().from(jobs)).toEqual([]);
    return result;
  };
  const mail = (input: unknown) => ({ service: 'mail', operation: 'send', input });

  it('stores the operation\'s follow-ups, then the caller\'s', async () => {
    const job = await submit({ followUps: { onSuccess: [mail({ to: 'ops@example.com', amount: '{{input.amount}}' })] } });
    expect(job.followUps).toMatchObject({
      onSuccess: [{ service: 'mail', input: { to: '{{input.email}}' } }, { service: 'mail', input: { to: 'ops@example.com' } }],
      onFailure: [{ service: 'stock' }],
    });
  });

  it('refuses unknown names, bad templates, too many, too large, and input-only templates that break the target schema', async () => {
    expect(await refused({ followUps: { onSuccess: [{ service: 'nope', operation: 'send', input: {} }] } })).toEqual({ kind: 'unknown_service', service: 'nope' });
    expect(await refused({ followUps: { onFailure: [{ service: 'mail', operation: 'nope', input: {} }] } })).toEqual({
      kind: 'unknown_operation',
      service: 'mail',
      operation: 'nope',
    });
    expect(await refused({ followUps: { onSuccess: [mail({ to: '{{inptu.to}}', amount: 1 })] } })).toEqual({
      kind: 'invalid_input',
      violations: [{ path: 'followUps.onSuccess[0].input', message: 'placeholder "{{inptu.to}}" must start with input, output, error or jobId' }],
    });
    const six = Array.from({ length: 6 }, () => mail({ to: 'x', amount: 1 }));
    expect(await refused({ followUps: { onFailure: six } })).toMatchObject({ kind: 'invalid_input', violations: [{ path: 'followUps.onFailure' }] });
    expect(await refused({ followUps: { onSuccess: [mail({ to: 'x'.repeat(LIMITS.maxInputBytes), amount: 1 })] } })).toMatchObject({
      kind: 'invalid_input',
      violations: [{ path: 'followUps.onSuccess[0].input', message: expect.stringContaining('bytes of JSON') }],
    });
    // Each placeholder may copy the whole input: their number bounds what a template can multiply.
    const copies = { to: 'x', amount: 1, copies: Array.from({ length: 33 }, () => '{{input}}') };
    expect(await refused({ followUps: { onSuccess: [mail(copies)] } })).toEqual({
      kind: 'invalid_input',
      violations: [{ path: 'followUps.onSuccess[0].input', message: 'has 33 placeholders; at most 32 are accepted' }],
    });
    const big = { tenantId: DEFAULT_TENANT_ID, service: 'stock', operation: 'release', input: { text: 'x'.repeat(4_000) } };
    const thrice = mail({ to: 'x', amount: 1, copies: ['{{input}}', '{{input}}', '{{input}}'] });
    expect(await submitJob(enqueue, registry, { ...big, followUps: { onSuccess: [thrice] } }, LIMITS)).toMatchObject({
      kind: 'invalid_input',
      violations: [{ path: 'followUps.onSuccess[0].input', message: expect.stringContaining('bytes of JSON; at most 10000') }],
    });
    expect(await db().select().from(jobs)).toEqual([]);
    expect(await refused({ followUps: { onSuccess: [mail({ to: '{{input.n}}', amount: '{{input.n}}' })] } })).toEqual({
      kind: 'invalid_input',
      violations: [{ path: 'followUps.onSuccess[0].input/to', message: 'must be string' }],
    });
  });

  it('checks a declared input-only template against the input, and leaves output templates for later', async () => {
    const reg = createRegistry(
      parseServices(`
services:
  - name: mail
    kind: mock
    operations:
      - name: send
        input: { type: object, required: [to], properties: { to: { type: string } } }
      - name: notify
        onSuccess: [{ service: mail, operation: send, input: { to: "{{input.email}}" } }]
        onFailure: [{ service: mail, operation: send, input: { to: "{{output.email}}" } }]
`),
    );
    const result = await submitJob(enqueue, reg, { tenantId: DEFAULT_TENANT_ID, service: 'mail', operation: 'notify', input: { email: 7 } }, LIMITS);
    expect(result).toEqual({ kind: 'invalid_input', violations: [{ path: 'mail.notify.onSuccess[0].input/to', message: 'must be string' }] });
    await submit({ service: 'mail', operation: 'notify', input: { email: 'a@example.com' } }, reg);
  });
});
