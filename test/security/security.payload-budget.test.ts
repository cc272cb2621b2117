// A page of jobs with large payloads cannot make one response (or a few at once) exhaust the
// gateway's memory: job input and output in one response are capped
// (CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES). Jobs past the cap answer Job.input / Job.output with a
// PAYLOAD_BUDGET_EXCEEDED error (Job.input is non-null, so the page fails as a whole) and their
// payloads are never read; a page within the budget, a single job and a page without payloads
// read whole, and each request has the whole budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { CALL, SERVICES, callInput } from './hostile-fixtures';

const BUDGET = 100_000;
/** As JSON text, `{"blob": "…"}` is a little over this: three fit in the budget, the fourth does not. */
const BLOB_CHARS = 30_000;
const JOBS = 5;

const PAGE = `{ jobs(first: ${JOBS}) { edges { node { id status input } } } }`;
const ONE = `query($id: ID!) { job(id: $id) { id input } }`;

let t: TestApp;
const ids: string[] = [];

beforeAll(async () => {
  // No workers: the jobs stay PENDING with no output, so each payload is its input alone.
  t = await buildTestApp({ services: SERVICES, env: { CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES: String(BUDGET), WORKER_CONCURRENCY: '0' } });
  for (let i = 0; i < JOBS; i++) {
    const res = await t.gql(CALL, callInput({ blob: String(i).repeat(BLOB_CHARS) }));
    ids.push(res.data?.callService.job.id);
  }
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('job payloads in one response', () => {
  it('stop at the budget: a page past it fails with PAYLOAD_BUDGET_EXCEEDED, one within it reads whole', async () => {
    const res = await t.gql(PAGE);
    expect(res.data).toBeNull();
    // The first job past the budget fails the page (the non-null input takes its list with it).
    expect(res.errors?.length).toBeGreaterThan(0);
    for (const err of res.errors!) {
      expect(err.extensions?.code).toBe('PAYLOAD_BUDGET_EXCEEDED');
      expect(err.message).toMatch(/ask for fewer jobs/);
    }
    // Three fit; and each request starts with the whole budget again.
    for (let round = 0; round < 2; round++) {
      const page = await t.gql(PAGE.replace(`first: ${JOBS}`, 'first: 3'));
      expect(page.errors).toBeUndefined();
      const inputs = page.data?.jobs.edges.map((e: { node: { input: { blob: string } } }) => e.node.input.blob) as string[];
      expect(inputs.map((b) => b.length)).toEqual([BLOB_CHARS, BLOB_CHARS, BLOB_CHARS]);
    }
  });

  it('leaves a single job whole, even one larger than the budget, and a page without payloads untouched', async () => {
    const big = await t.gql(CALL, callInput({ blob: 'b'.repeat(BUDGET + 20_000) }));
    for (const id of [...ids, big.data?.callService.job.id]) {
      const res = await t.gql(ONE, { id });
      expect(res.errors).toBeUndefined();
      expect((res.data?.job.input as { blob: string }).blob.length).toBeGreaterThanOrEqual(BLOB_CHARS);
    }
    const plain = await t.gql(`{ jobs(first: ${JOBS}) { edges { node { id status } } } }`);
    expect(plain.errors).toBeUndefined();
    expect(plain.data?.jobs.edges).toHaveLength(JOBS);
  });
});
