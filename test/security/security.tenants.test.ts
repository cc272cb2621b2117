// Hostile cases for tenants, keys and roles, on a gateway with NODE_ENV=production: each asserts
// a clear error and no side effect. Another tenant's job is "not found" (null, NotFoundError),
// never "forbidden"; a role too low for a field is FORBIDDEN before its resolver runs.
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, jobAttempts, jobs, tenants } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs, subscribeSse, subscribeWs } from '../helpers/keys';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [5, 10] }
`;
const CALL = `mutation($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id status } } }
}`;
const JOB = `query($id: ID!) { job(id: $id) { id status lastError } }`;
const WATCH = `subscription($id: ID!) { jobUpdated(id: $id) { id status } }`;

let t: TestApp;
type Keys = Awaited<ReturnType<typeof createTenantWithKeys>>;
let acme: Keys;
let globex: Keys;
/** An acme job kept PENDING (runAt an hour ahead), one FAILED with an attempt, one SUCCEEDED. */
let pendingId: string;
let failedId: string;
let doneId: string;

async function callAs(key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { body } = await gqlAs(t, key, CALL, { input: { service: 'mock', operation: 'echo', input: { n: 1 }, ...extra } });
  expect(body.data?.callService.__typename).toBe('CallServiceSuccess');
  return body.data!.callService.job.id as string;
}

const jobRow = async (id: string) => (await t.app.database.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES, env: { NODE_ENV: 'production' } });
  acme = await createTenantWithKeys(t, 'acme');
  globex = await createTenantWithKeys(t, 'globex');
  pendingId = await callAs(acme.client, { runAt: new Date(Date.now() + 3_600_000).toISOString() });
  doneId = await callAs(acme.client);
  failedId = await callAs(acme.client, { runAt: new Date(Date.now() + 3_600_000).toISOString() });
  // A failed call as the worker would store it: an upstream body and an internal URL in the error and the attempt.
  const db = t.app.database.db;
  await db
    .update(jobs)
    .set({ status: 'failed', attempts: 1, lastError: 'HTTP 502: {"upstream":"http://10.1.2.3:8080/internal/billing","trace":"x"}', completedAt: new Date() })
    .where(eq(jobs.id, failedId));
  await db.insert(jobAttempts).values({
    jobId: failedId,
    attempt: 1,
    startedAt: new Date(),
    finishedAt: new Date(),
    durationMs: 12,
    outcome: 'http_error',
    httpStatus: 502,
    error: 'HTTP 502',
    request: { method: 'POST', url: 'http://10.1.2.3:8080/internal/billing', headers: { 'x-internal': 'yes' } },
    responseBody: '{"upstream":"secret body"}',
  });
  await expectStatus(doneId, 'succeeded');
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

async function expectStatus(id: string, status: string) {
  const deadline = Date.now() + 10_000;
  while ((await jobRow(id)).status !== status) {
    if (Date.now() > deadline) throw new Error(`job ${id} never became ${status}: ${JSON.stringify(await jobRow(id))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('production: no request without a valid key', () => {
  it.each([
    ['POST /graphql', 'POST', '/graphql'],
    ['GET /graphql (GraphiQL)', 'GET', '/graphql'],
    ['GET /graphql?query=', 'GET', '/graphql?query=%7Bjob(id:%22x%22)%7Bid%7D%7D'],
    ['an unknown path', 'GET', '/anything'],
  ])('%s without a key is a 401 in the GraphQL error format', async (_name, method, path) => {
    const res = await fetch(new URL(path, t.url), {
      method,
      headers: { accept: method === 'GET' && path === '/graphql' ? 'text/html' : 'application/json', 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ query: CALL, variables: { input: { service: 'mock', operation: 'echo', input: {} } } }) : undefined,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0]!.message).toMatch(/API key is required/);
  });

  it('a keyless callService creates no job', async () => {
    const before = (await t.app.database.db.select().from(jobs)).length;
    expect((await gqlAs(t, undefined, CALL, { input: { service: 'mock', operation: 'echo', input: {} } })).status).toBe(401);
    expect((await t.app.database.db.select().from(jobs)).length).toBe(before);
  });

  it.each(['/healthz', '/readyz', '/metrics'])('%s stays open', async (path) => {
    expect((await fetch(new URL(path, t.url))).status).toBe(200);
  });

  it.each([
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['Bearer with no key', 'Bearer '],
    ['a key of the wrong shape', 'Bearer not-a-callgate-key'],
    ['a well-formed unknown key', `Bearer cg_live_${'A'.repeat(43)}`],
  ])('%s is a 401 and no job', async (_name, header) => {
    const before = (await t.app.database.db.select().from(jobs)).length;
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: header },
      body: JSON.stringify({ query: CALL, variables: { input: { service: 'mock', operation: 'echo', input: {} } } }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect((await t.app.database.db.select().from(jobs)).length).toBe(before);
  });

  it('GraphiQL and introspection are for ops and admin keys', async () => {
    const page = (key: string) => fetch(t.url, { headers: { accept: 'text/html', authorization: `Bearer ${key}` } });
    const refused = await page(acme.client);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    const served = await page(acme.ops);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/text\/html/);
    await served.body?.cancel();

    const introspect = `{ __schema { queryType { name } } }`;
    const client = await gqlAs(t, acme.client, introspect);
    expect(client.body.data ?? null).toBeNull();
    expect(client.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect((await gqlAs(t, acme.client, `{ __type(name: "Job") { name } }`)).body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect((await gqlAs(t, acme.ops, introspect)).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    // The check is cached per document: the same query text stays refused to a client key.
    expect((await gqlAs(t, acme.client, introspect)).body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    // __typename is not introspection of the schema: clients (Apollo) add it everywhere.
    expect((await gqlAs(t, acme.client, `{ __typename }`)).body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('graphql-ws: the key at connection_init', () => {
  const closeCode = (params: Record<string, unknown> | undefined) =>
    subscribeWs(t, params, WATCH, { id: doneId }).then(
      () => 'completed',
      (err: { code?: number }) => err.code,
    );

  it('no key closes with 4401', async () => {
    expect(await closeCode(undefined)).toBe(4401);
  });
  it.each([
    ['an unknown key', { authorization: `Bearer cg_live_${'B'.repeat(43)}` }],
    ['a malformed header', { authorization: 'Token abc' }],
    ['a non-string key', { apiKey: 42 }],
  ])('%s closes with 4403', async (_name, params) => {
    expect(await closeCode(params)).toBe(4403);
  });
  it('a valid key follows its own job, as a header or as apiKey', async () => {
    for (const params of [{ authorization: `Bearer ${acme.client}` }, { apiKey: acme.client }]) {
      const payloads = await subscribeWs(t, params, WATCH, { id: doneId });
      expect(payloads.at(-1)).toEqual({ data: { jobUpdated: { id: doneId, status: 'SUCCEEDED' } } });
    }
  });
});

describe("another tenant's jobs do not exist", () => {
  it('job(id) is null and jobs() does not list it', async () => {
    expect((await gqlAs(t, globex.admin, JOB, { id: doneId })).body).toEqual({ data: { job: null } });
    const list = await gqlAs(t, globex.admin, `{ jobs(first: 100) { edges { node { id } } } }`);
    expect(list.body.data!.jobs.edges).toEqual([]);
    const own = await gqlAs(t, acme.client, `{ jobs(first: 100) { edges { node { id } } } }`);
    expect(own.body.data!.jobs.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual([pendingId, doneId, failedId].sort());
  });

  it('attemptLog shows none of its attempts', async () => {
    const log = await gqlAs(t, globex.ops, `{ attemptLog(first: 100) { edges { node { jobId } } } }`);
    expect(log.body).toEqual({ data: { attemptLog: { edges: [] } } });
  });

  it('jobUpdated over WebSocket is a NOT_FOUND error, the same as for an id that never existed', async () => {
    const foreign = await subscribeWs(t, { apiKey: globex.client }, WATCH, { id: doneId }).catch((e: unknown) => e);
    const missing = await subscribeWs(t, { apiKey: globex.client }, WATCH, { id: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    expect(foreign).toEqual([expect.objectContaining({ message: `job ${doneId} not found`, extensions: { code: 'NOT_FOUND' } })]);
    expect(missing).toEqual([expect.objectContaining({ message: 'job 00000000-0000-4000-8000-000000000000 not found' })]);
  });

  it('jobUpdated over SSE is a NOT_FOUND error and no data', async () => {
    const results = await subscribeSse(t, globex.client, WATCH, { id: doneId });
    expect(results.some((r) => r.data?.jobUpdated)).toBe(false);
    expect(results.flatMap((r) => r.errors ?? [])[0]).toMatchObject({ message: `job ${doneId} not found` });
    const own = await subscribeSse(t, acme.client, WATCH, { id: doneId });
    expect(own.at(-1)).toEqual({ data: { jobUpdated: { id: doneId, status: 'SUCCEEDED' } } });
  });

  it('cancelJob is a NotFoundError and the job stays PENDING', async () => {
    const res = await gqlAs(t, globex.admin, `mutation($id: ID!) { cancelJob(id: $id) { __typename ... on Error { message } } }`, { id: pendingId });
    expect(res.body.data!.cancelJob).toEqual({ __typename: 'NotFoundError', message: `job ${pendingId} not found` });
    expect((await jobRow(pendingId)).status).toBe('pending');
  });

  it('retryJob is a NotFoundError and the job stays FAILED', async () => {
    const res = await gqlAs(t, globex.admin, `mutation($id: ID!) { retryJob(id: $id) { __typename ... on Error { message } } }`, { id: failedId });
    expect(res.body.data!.retryJob).toEqual({ __typename: 'NotFoundError', message: `job ${failedId} not found` });
    expect((await jobRow(failedId)).status).toBe('failed');
  });

  it('jobStats, failingServices and queue count only the tenant’s own jobs', async () => {
    const q = `{ jobStats(window: "1h") { service created } failingServices(window: "1h", minFailures: 1) { service } queue { pending scheduled } }`;
    expect((await gqlAs(t, globex.ops, q)).body.data).toEqual({ jobStats: [], failingServices: [], queue: { pending: 0, scheduled: 0 } });
    const own = (await gqlAs(t, acme.ops, q)).body.data!;
    expect(own.jobStats).toEqual([{ service: 'mock', created: 3 }]);
    expect(own.queue).toEqual({ pending: 1, scheduled: 1 });
  });

  it("a tenant admin's createApiKey for another tenant is a NotFoundError and issues nothing", async () => {
    const before = (await t.app.database.db.select().from(apiKeys)).length;
    const res = await gqlAs(t, globex.admin, `mutation($t: String) { createApiKey(role: ADMIN, name: "x", tenant: $t) { __typename } }`, { t: acme.tenant.id });
    expect(res.body.data!.createApiKey).toEqual({ __typename: 'NotFoundError' });
    expect((await t.app.database.db.select().from(apiKeys)).length).toBe(before);
  });
});

describe('roles', () => {
  const forbidden = (body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] }) =>
    expect(body.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');

  it.each([
    ['jobStats', `{ jobStats { service } }`],
    ['failingServices', `{ failingServices { service } }`],
    ['queue', `{ queue { pending } }`],
    ['attemptLog', `{ attemptLog { edges { node { request responseBody } } } }`],
    ['services', `{ services { name baseUrl } }`],
    ['apiKeys', `{ apiKeys { id } }`],
  ])('a client key reading %s is FORBIDDEN with no data', async (_name, query) => {
    const { body } = await gqlAs(t, acme.client, query);
    forbidden(body);
    expect(body.data ?? null).toBeNull();
  });

  it('a client key cannot cancel or retry: FORBIDDEN and the job unchanged', async () => {
    forbidden((await gqlAs(t, acme.client, `mutation($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: pendingId })).body);
    forbidden((await gqlAs(t, acme.client, `mutation($id: ID!) { retryJob(id: $id) { __typename } }`, { id: failedId })).body);
    expect((await jobRow(pendingId)).status).toBe('pending');
    expect((await jobRow(failedId)).status).toBe('failed');
  });

  it('ops keys cannot manage keys; tenant admins cannot create tenants', async () => {
    const keysBefore = (await t.app.database.db.select().from(apiKeys)).length;
    const tenantsBefore = (await t.app.database.db.select().from(tenants)).length;
    forbidden((await gqlAs(t, acme.ops, `mutation { createApiKey(role: ADMIN, name: "escalate") { __typename } }`)).body);
    forbidden((await gqlAs(t, acme.client, `mutation { createApiKey(role: CLIENT, name: "more") { __typename } }`)).body);
    forbidden((await gqlAs(t, acme.admin, `mutation { createTenant(name: "evil") { __typename } }`)).body);
    const [someKey] = await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.tenantId, acme.tenant.id));
    forbidden((await gqlAs(t, acme.ops, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: someKey!.id })).body);
    expect((await t.app.database.db.select().from(apiKeys)).length).toBe(keysBefore);
    expect((await t.app.database.db.select().from(tenants)).length).toBe(tenantsBefore);
    expect((await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, someKey!.id)))[0]!.revokedAt).toBeNull();
  });

  it('a client key sees a short sanitized lastError and no attempt log; ops see both in full', async () => {
    const q = `query($id: ID!) { job(id: $id) { id status lastError attemptLog { request responseBody } } }`;
    const client = await gqlAs(t, acme.client, q, { id: failedId });
    expect(client.body.data!.job).toEqual({ id: failedId, status: 'FAILED', lastError: 'HTTP 502', attemptLog: null });
    forbidden(client.body);
    expect(JSON.stringify(client.body)).not.toMatch(/10\.1\.2\.3|internal|secret body/);
    const ops = await gqlAs(t, acme.ops, q, { id: failedId });
    expect(ops.body.errors).toBeUndefined();
    expect(ops.body.data!.job.lastError).toMatch(/10\.1\.2\.3/);
    expect(ops.body.data!.job.attemptLog).toEqual([
      { request: expect.objectContaining({ url: 'http://10.1.2.3:8080/internal/billing' }), responseBody: '{"upstream":"secret body"}' },
    ]);
  });
});

describe('keys', () => {
  it('createApiKey shows the key once, stores only its SHA-256 and prefix, and the key works', async () => {
    const res = await gqlAs(t, acme.admin, `mutation { createApiKey(role: OPS, name: "dashboard") {
      __typename ... on CreateApiKeySuccess { key apiKey { id role prefix name tenantId } } } }`);
    const { key, apiKey } = res.body.data!.createApiKey;
    expect(key).toMatch(/^cg_live_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ role: 'OPS', name: 'dashboard', tenantId: acme.tenant.id, prefix: key.slice(0, 12) });
    const [row] = await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id));
    expect(row!.keyHash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key);
    // Listed without the key; the listing has no field that could carry it.
    const listed = await gqlAs(t, acme.admin, `{ apiKeys { id prefix } }`);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await gqlAs(t, key, `{ queue { pending } }`)).body.data).toEqual({ queue: { pending: 1 } });
    const used = await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id));
    await expect.poll(async () => (await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id)))[0]!.lastUsedAt).not.toBeNull();
    expect(used).toHaveLength(1);
  });

  it('a revoked key is refused at once: HTTP 401 and WebSocket 4403', async () => {
    const created = await gqlAs(t, acme.admin, `mutation { createApiKey(role: CLIENT, name: "leaked") { ... on CreateApiKeySuccess { key apiKey { id } } } }`);
    const { key, apiKey } = created.body.data!.createApiKey;
    expect((await gqlAs(t, key, JOB, { id: doneId })).status).toBe(200);
    const revoked = await gqlAs(t, acme.admin, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on RevokeApiKeySuccess { apiKey { revokedAt } } } }`, { id: apiKey.id });
    expect(revoked.body.data!.revokeApiKey.__typename).toBe('RevokeApiKeySuccess');
    expect(revoked.body.data!.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    const after = await gqlAs(t, key, JOB, { id: doneId });
    expect(after.status).toBe(401);
    expect(after.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(await subscribeWs(t, { apiKey: key }, WATCH, { id: doneId }).catch((e: { code?: number }) => e.code)).toBe(4403);
  });

  it("revoking another tenant's key is a NotFoundError and the key keeps working", async () => {
    const [globexKey] = await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.tenantId, globex.tenant.id));
    const res = await gqlAs(t, acme.admin, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: globexKey!.id });
    expect(res.body.data!.revokeApiKey).toEqual({ __typename: 'NotFoundError' });
    expect((await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, globexKey!.id)))[0]!.revokedAt).toBeNull();
  });
});
