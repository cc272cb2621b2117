// callService with batching on, over real HTTP: 64 concurrent calls each get their own answer.
// Distinct calls get distinct jobs with their own input, callers repeating one key share one job
// (one of them created it), and an invalid input or a key reused for another input is reported to
// its own caller only.
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { CALL } from '../security/hostile-fixtures';

const SERVICES = `
services:
  - name: shop
    kind: mock
    operations:
      - name: charge
        input: { type: object, required: [amount], properties: { amount: { type: integer } } }
`;
const CALLERS = 64;
const SHARED_KEY = 'order-64';
const INVALID = 10;
const CONFLICTING = 63;
/** Callers 20-27 repeat the shared key with the same input; CONFLICTING reuses it for another. */
const isShared = (n: number) => n >= 20 && n < 28;

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES, env: { WORKER_CONCURRENCY: '0' } });
});
afterAll(async () => t?.stop());

function argsOf(n: number) {
  if (n === INVALID) return { amount: 'ten' };
  if (isShared(n)) return { amount: 1, key: SHARED_KEY };
  if (n === CONFLICTING) return { amount: 2, key: SHARED_KEY };
  return { amount: 100 + n };
}

it('answers 64 concurrent calls each with its own job, duplicate or error', async () => {
  // The shared key's job exists first, so that the conflicting call cannot be the one creating it.
  const first = (await t.gql(CALL, { input: { service: 'shop', operation: 'charge', input: { amount: 1 }, idempotencyKey: SHARED_KEY } })).data?.callService;
  expect(first).toMatchObject({ __typename: 'CallServiceSuccess', deduplicated: false });

  const answers = await Promise.all(
    Array.from({ length: CALLERS }, async (_, n) => {
      const { amount, key } = argsOf(n) as { amount: unknown; key?: string };
      const res = await t.gql(CALL, { input: { service: 'shop', operation: 'charge', input: { amount }, idempotencyKey: key } });
      return res.data?.callService;
    }),
  );
  expect(answers[INVALID]).toMatchObject({ __typename: 'InvalidInputError', violations: [{ path: '/amount' }] });
  expect(answers[CONFLICTING]).toMatchObject({ __typename: 'IdempotencyConflictError', jobId: first.job.id });
  const shared = answers.filter((_, n) => isShared(n));
  expect(shared.every((a) => a.__typename === 'CallServiceSuccess' && a.deduplicated && a.job.id === first.job.id)).toBe(true);

  const own = answers.filter((_, n) => n !== INVALID && n !== CONFLICTING && !isShared(n));
  expect(own.every((a) => a.__typename === 'CallServiceSuccess' && !a.deduplicated)).toBe(true);
  const ids = own.map((a) => a.job.id as string);
  expect(new Set(ids).size).toBe(own.length);
  const stored = await t.app.database.db.select().from(jobs).where(inArray(jobs.id, ids));
  const amountOf = new Map(stored.map((j) => [j.id, (j.input as { amount: number }).amount]));
  answers.forEach((a, n) => {
    if (own.includes(a)) expect(amountOf.get(a.job.id), `caller ${n}`).toBe(100 + n);
  });
});
