// Hostile callService arguments: idempotency keys with CR/LF, NUL or past 200 characters, NUL and
// unpaired surrogates in the input, JSON nested past 32 levels, an input over the size limit, a key
// reused for another call, and a caller past its rate. Each answers a typed error and creates no
// job, so no call goes upstream and no breaker moves; and no log line carries job input or SQL
// parameters.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { MAX_INPUT_DEPTH } from '../../src/registry/validate-input';
import { buildTestApp, type TestApp } from '../helpers/app';
import { CALL, SERVICES, callInput, jobCount } from './hostile-fixtures';

/** Small enough that a test input crosses it cheaply, far under the 1 MiB body limit. */
const MAX_INPUT_BYTES = 4_096;
const RATE_PER_MINUTE = 5;
/** Appears only inside hostile inputs: finding it in a log line means job input was logged. */
const MARK = 'MARK-7f3a91';

let t: TestApp;
let limited: TestApp;
const logLines: string[] = [];

const call = (app: TestApp, input: unknown, extra: Record<string, unknown> = {}) => app.gql(CALL, callInput(input, extra)).then((r) => r.data?.callService);

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await buildTestApp({
    services: SERVICES,
    env: { CALLGATE_MAX_INPUT_BYTES: String(MAX_INPUT_BYTES) },
    log: createLogger('trace', sink),
  });
  limited = await buildTestApp({ services: SERVICES, pglite: true, env: { CALLGATE_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE) } });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await limited?.stop();
});

describe('idempotency keys', () => {
  it.each([
    ['CR/LF', `key\r\nX-Injected: ${MARK}`],
    ['NUL', `key\u0000${MARK}`],
    ['over-long', 'k'.repeat(201)],
    ['non-ASCII', 'clé'],
    ['empty', ''],
  ])('refuses a %s key as InvalidInputError on idempotencyKey, with no job and no breaker change', async (_name, key) => {
    const before = await jobCount(t);
    const result = await call(t, { n: 1 }, { idempotencyKey: key });
    expect(result.__typename).toBe('InvalidInputError');
    expect(result.violations).toEqual([{ path: 'idempotencyKey', message: expect.stringMatching(/printable ASCII/) }]);
    expect(await jobCount(t)).toBe(before);
    const services = await t.gql('{ services { operations { breaker { state failures } } } }');
    expect(services.data?.services[0].operations[0].breaker).toEqual({ state: 'CLOSED', failures: 0 });
  });

  it('accepts a 200-character printable key, and dedupes the same call', async () => {
    const key = `k-${'x'.repeat(198)}`;
    const first = await call(t, { a: 1, b: [1, 2] }, { idempotencyKey: key });
    expect(first.__typename).toBe('CallServiceSuccess');
    // The same input in another key order is the same call.
    const again = await call(t, { b: [1, 2], a: 1 }, { idempotencyKey: key });
    expect(again).toMatchObject({ __typename: 'CallServiceSuccess', deduplicated: true, job: { id: first.job.id } });
  });

  it('answers IdempotencyConflictError when the key is reused with another input or operation, creating no job', async () => {
    const key = 'order-1234';
    const first = await call(t, { amount: 10 }, { idempotencyKey: key });
    const before = await jobCount(t);
    const other = await call(t, { amount: 99 }, { idempotencyKey: key });
    expect(other).toMatchObject({ __typename: 'IdempotencyConflictError', idempotencyKey: key, jobId: first.job.id });
    expect(other.message).toMatch(/another service, operation, input or follow-ups/);
    expect(await jobCount(t)).toBe(before);
  });

  it('answers IdempotencyConflictError when the key is reused with other follow-ups, and dedupes the same ones', async () => {
    const key = 'order-5678';
    const followUp = (n: number) => ({ service: 'mock', operation: 'echo', input: { n, of: '{{jobId}}' } });
    // Held back an hour: a job that ran would create its follow-up and change the count.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const first = await call(t, { amount: 10 }, { idempotencyKey: key, runAt, followUps: { onSuccess: [followUp(1)] } });
    expect(first.__typename).toBe('CallServiceSuccess');
    const before = await jobCount(t);
    for (const followUps of [{ onSuccess: [followUp(2)] }, { onFailure: [followUp(1)] }, null]) {
      const other = await call(t, { amount: 10 }, { idempotencyKey: key, followUps });
      expect(other).toMatchObject({ __typename: 'IdempotencyConflictError', idempotencyKey: key, jobId: first.job.id });
    }
    // The same follow-ups in another key order are the same call.
    const again = await call(t, { amount: 10 }, { idempotencyKey: key, followUps: { onFailure: [], onSuccess: [{ input: { of: '{{jobId}}', n: 1 }, operation: 'echo', service: 'mock' }] } });
    expect(again).toMatchObject({ __typename: 'CallServiceSuccess', deduplicated: true, job: { id: first.job.id } });
    expect(await jobCount(t)).toBe(before);
  });
});

describe('input', () => {
  it('refuses a NUL character anywhere in the input as InvalidInputError, and logs no input', async () => {
    const before = await jobCount(t);
    const result = await call(t, { note: `a\u0000${MARK}`, nested: { [`k\u0000${MARK}`]: 1 } });
    expect(result.__typename).toBe('InvalidInputError');
    expect(result.violations.map((v: { path: string }) => v.path)).toContain('/note');
    expect(result.violations[0].message).toMatch(/NUL character/);
    expect(await jobCount(t)).toBe(before);
  });

  it('refuses an unpaired surrogate, which jsonb cannot store either', async () => {
    const result = await call(t, { s: 'a\ud800b' });
    expect(result.__typename).toBe('InvalidInputError');
  });

  it(`refuses JSON nested past ${MAX_INPUT_DEPTH} levels`, async () => {
    const before = await jobCount(t);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200; i++) deep = [deep];
    const result = await call(t, { deep });
    expect(result.__typename).toBe('InvalidInputError');
    expect(result.violations[0].message).toMatch(/nests deeper than 32 levels/);
    expect(await jobCount(t)).toBe(before);
    let fine: unknown = 'bottom';
    for (let i = 0; i < MAX_INPUT_DEPTH - 2; i++) fine = [fine];
    expect((await call(t, { fine })).__typename).toBe('CallServiceSuccess');
  });

  it('refuses an input over CALLGATE_MAX_INPUT_BYTES before storing it', async () => {
    const before = await jobCount(t);
    const result = await call(t, { blob: 'x'.repeat(MAX_INPUT_BYTES) });
    expect(result.__typename).toBe('InvalidInputError');
    expect(result.violations[0]).toEqual({ path: '/', message: expect.stringMatching(/at most 4096 are accepted/) });
    expect(await jobCount(t)).toBe(before);
  });

  it('logs a failed query without its parameters (a NUL in a filter reaches PostgreSQL)', async () => {
    const res = await t.gql(`query($s: String) { jobs(service: $s) { edges { node { id } } } }`, { s: `x\u0000${MARK}` });
    expect(res.errors?.[0]?.message).toBe('Unexpected error.');
    const logged = logLines.join('');
    expect(logged).toMatch(/Failed query: select/);
    expect(logged).not.toContain(MARK);
  });
});

describe('rate limit', () => {
  it(`answers RateLimitedError after ${RATE_PER_MINUTE} calls a minute, creating no job`, async () => {
    for (let i = 0; i < RATE_PER_MINUTE; i++) expect((await call(limited, { i })).__typename).toBe('CallServiceSuccess');
    const before = await jobCount(limited);
    const refused = await call(limited, { i: 'one too many' });
    expect(refused.__typename).toBe('RateLimitedError');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60 / RATE_PER_MINUTE);
    expect(refused.message).toMatch(/too many calls/);
    expect(await jobCount(limited)).toBe(before);
  });
});
