// Hostile requests against a running gateway: depth, alias, cost, token and batch bombs, too many
// callService per request, oversized and malformed bodies. Each asserts a clear error and no side
// effect (no job row); the alias bomb that once ran the gateway out of memory leaves it up and
// within a stated memory bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobAttempts } from '../../src/db/schema';
import { MAX_ALIASES, MAX_CALL_SERVICE_PER_REQUEST, MAX_DEPTH } from '../../src/server/armor';
import { buildTestApp, type TestApp } from '../helpers/app';
import { CALL, SERVICES, callInput, jobCount, rawPost } from './hostile-fixtures';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
const PAGE_WITH_ATTEMPTS = 'jobs(first: 100) { edges { node { id attemptLog { attempt } } } }';
/** Three of these at once (71 KB each) crashed the gateway with out-of-memory before the limits. */
const ALIAS_BOMB = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: ${PAGE_WITH_ATTEMPTS}`).join(' ')} }`;
/** What the three concurrent bombs may add to this process's resident memory. */
const RSS_GROWTH_LIMIT_BYTES = 200 * 1024 * 1024;

let t: TestApp;
const post = (body: unknown) => rawPost(t, JSON.stringify(body), JSON_HEADERS);
const errorsOf = (text: string) => (JSON.parse(text) as { errors?: { message: string }[] }).errors ?? [];

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES });
  // Jobs with attempts, so a query that got through would have rows to multiply.
  const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => t.call('mock', 'echo', { i })));
  await Promise.all(ids.map((id) => t.waitForStatus(id, ['SUCCEEDED'])));
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('operation limits (graphql-armor)', () => {
  it('refuses three concurrent 1,000-alias jobs/attemptLog queries and stays up within the memory bound', async () => {
    expect(ALIAS_BOMB.length).toBeGreaterThan(70_000);
    const before = process.memoryUsage().rss;
    const answers = await Promise.all([1, 2, 3].map(() => post({ query: ALIAS_BOMB })));
    const growth = process.memoryUsage().rss - before;
    for (const a of answers) {
      expect(JSON.parse(a.text).data).toBeUndefined();
      expect(errorsOf(a.text)[0]?.message).toMatch(/Token limit of \d+ exceeded/);
    }
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
    const alive = await t.gql('{ jobs(first: 5) { edges { node { id } } } }');
    expect(alive.data?.jobs.edges).toHaveLength(5);
  });

  it('refuses more aliases than the limit even when the query is small', async () => {
    const query = `{ ${Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `a${i}: queue { running }`).join(' ')} }`;
    const a = await post({ query });
    expect(JSON.parse(a.text).data).toBeUndefined();
    expect(errorsOf(a.text)[0]?.message).toMatch(/Aliases limit of 15 exceeded/);
  });

  it('refuses a query past the cost limit (the same page of jobs with attempts, aliased 10 times)', async () => {
    const query = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: ${PAGE_WITH_ATTEMPTS}`).join(' ')} }`;
    const a = await post({ query });
    expect(JSON.parse(a.text).data).toBeUndefined();
    expect(errorsOf(a.text)[0]?.message).toMatch(/Query Cost limit of \d+ exceeded/);
  });

  it('answers one full page of jobs with their attempt logs, each job with its own attempts', async () => {
    const res = await t.gql<{ jobs: { edges: { node: { id: string; input: { i: number }; attemptLog: { jobId: string }[] } }[] } }>(
      `{ ${PAGE_WITH_ATTEMPTS.replace('attemptLog { attempt }', 'input attemptLog { jobId attempt }')} }`,
    );
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.jobs.edges.map((e) => e.node);
    expect(nodes).toHaveLength(5);
    expect(new Set(nodes.map((n) => n.input.i))).toEqual(new Set([0, 1, 2, 3, 4]));
    for (const n of nodes) expect(n.attemptLog).toEqual([{ jobId: n.id, attempt: 1 }]);
    expect((await t.app.database.db.select().from(jobAttempts)).length).toBe(5);
  });

  it('refuses a query nested past the depth limit', async () => {
    // __type → ofType → ofType …: a legal, self-nesting path that is not introspection's __schema.
    const nested = Array.from({ length: MAX_DEPTH + 1 }, () => 'ofType {').join(' ');
    const query = `{ __type(name: "Job") { ${nested} name ${'}'.repeat(MAX_DEPTH + 1)} } }`;
    const a = await post({ query });
    expect(JSON.parse(a.text).data).toBeUndefined();
    expect(errorsOf(a.text)[0]?.message).toMatch(/Query depth limit of 10 exceeded/);
  });

  it('refuses a directive bomb', async () => {
    const a = await post({ query: `{ queue { running ${'@include(if: true) '.repeat(50)} } }` });
    expect(JSON.parse(a.text).data).toBeUndefined();
    expect(errorsOf(a.text)[0]?.message).toMatch(/Directives limit of \d+ exceeded/);
  });
});

describe('callService per request', () => {
  it(`refuses more than ${MAX_CALL_SERVICE_PER_REQUEST} callService in one request and creates no job`, async () => {
    const before = await jobCount(t);
    const calls = Array.from({ length: MAX_CALL_SERVICE_PER_REQUEST + 1 }, (_, i) => `c${i}: callService(input: $input) { __typename }`);
    const a = await post({ query: `mutation($input: CallServiceInput!) { ${calls.join(' ')} }`, variables: callInput({ n: 1 }) });
    expect(JSON.parse(a.text).data).toBeUndefined();
    expect(errorsOf(a.text)[0]?.message).toMatch(/at most 10 callService per request, found 11; no job was created/);
    expect(await jobCount(t)).toBe(before);
  });

  it('counts callService inside fragments too', async () => {
    const before = await jobCount(t);
    const calls = Array.from({ length: 6 }, (_, i) => `c${i}: callService(input: $input) { __typename }`).join(' ');
    const query = `mutation($input: CallServiceInput!) { ...Calls ... on Mutation { ${calls} } } fragment Calls on Mutation { ${calls.replace(/c(\d)/g, 'f$1')} }`;
    const a = await post({ query, variables: callInput({ n: 1 }) });
    expect(errorsOf(a.text)[0]?.message).toMatch(/found 12/);
    expect(await jobCount(t)).toBe(before);
  });

  it(`allows ${MAX_CALL_SERVICE_PER_REQUEST}`, async () => {
    const before = await jobCount(t);
    const calls = Array.from({ length: MAX_CALL_SERVICE_PER_REQUEST }, (_, i) => `c${i}: callService(input: $input) { __typename }`);
    const a = await post({ query: `mutation($input: CallServiceInput!) { ${calls.join(' ')} }`, variables: callInput({ n: 2 }) });
    expect(a.status).toBe(200);
    expect(await jobCount(t)).toBe(before + MAX_CALL_SERVICE_PER_REQUEST);
  });
});

describe('request bodies', () => {
  it('refuses a 10 MB body with 413 and creates no job', async () => {
    const before = await jobCount(t);
    const body = JSON.stringify({ query: CALL, variables: callInput({ blob: 'x'.repeat(10 * 1024 * 1024) }) });
    const a = await rawPost(t, body, JSON_HEADERS);
    expect(a.status).toBe(413);
    expect(a.text).toMatch(/Request body too large/);
    expect(await jobCount(t)).toBe(before);
  });

  it('refuses a chunked 10 MB body (no Content-Length) with 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(t.url, { method: 'POST', body: stream, headers: JSON_HEADERS, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answers malformed JSON with 400 and a parse error', async () => {
    const a = await rawPost(t, '{"query": "mutation { callService(', JSON_HEADERS);
    expect(a.status).toBe(400);
    expect(errorsOf(a.text)[0]?.message).toMatch(/POST body sent invalid JSON/);
  });

  it('refuses a batch (an array of operations) and creates no job', async () => {
    const before = await jobCount(t);
    const a = await post(Array.from({ length: 100 }, () => ({ query: CALL, variables: callInput({ n: 3 }) })));
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.status).toBeLessThan(500);
    expect(await jobCount(t)).toBe(before);
  });
});
