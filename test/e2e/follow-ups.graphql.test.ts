// Follow-ups end to end: callService over HTTP → the worker calls a real upstream on 127.0.0.1 →
// the job's end creates its follow-up in the same transaction → the follow-up runs like any job;
// Job.parent and Job.followUps over GraphQL, seen by the jobs' tenant only; bad follow-ups refused
// with typed errors and no job; the admin API's follow-ups checked against what the tenant can call.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';
import { startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let t: TestApp;
type Keys = Awaited<ReturnType<typeof createTenantWithKeys>>;
let acme: Keys;
let globex: Keys;

const services = (url: string) => `
services:
  - name: shop
    kind: http
    baseUrl: ${url}
    retry: { maxAttempts: 1 }
    operations:
      - name: charge
        path: /charges
        input: { type: object, required: [amount, email], properties: { amount: { type: integer }, email: { type: string } } }
        onSuccess:
          - service: mail
            operation: send
            input: { to: "{{input.email}}", amount: "{{output.amount}}", card: "{{output.card}}", subject: "Receipt {{output.id}}" }
        onFailure:
          - service: stock
            operation: release
            input: { reason: "{{error}}", charge: "{{jobId}}" }
  - name: mail
    kind: http
    baseUrl: ${url}
    retry: { maxAttempts: 1 }
    operations:
      - name: send
        path: /mail
        input: { type: object, required: [to, amount], properties: { to: { type: string }, amount: { type: integer } } }
  - name: stock
    kind: mock
    operations:
      - name: release
`;

const CALL = `mutation($input: CallServiceInput!) {
  callService(input: $input) {
    __typename
    ... on CallServiceSuccess { job { id } }
    ... on UnknownServiceError { service }
    ... on UnknownOperationError { service operation }
    ... on InvalidInputError { violations { path message } }
    ... on Error { message }
  }
}`;
const FAMILY = `query($id: ID!) {
  job(id: $id) {
    id status correlationId parentJobId
    parent { id status }
    followUps { id service operation status input correlationId parentJobId lastError parent { id } followUps { id } }
  }
}`;

async function call(key: string, input: Record<string, unknown>) {
  const { body } = await gqlAs(t, key, CALL, { input });
  expect(body.errors).toBeUndefined();
  return body.data!.callService;
}

/** job(id) with its parent and follow-ups, polled until `until` holds; null at once for a job the key cannot see. */
async function family(key: string, id: string, until: (job: any) => boolean = () => true, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await gqlAs(t, key, FAMILY, { id });
    const job = body.data?.job;
    if (body.errors || !job || until(job) || Date.now() > deadline) {
      expect(body.errors).toBeUndefined();
      return job;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({ services: services(upstream.url), env: { NODE_ENV: 'production', CALLGATE_OUTBOUND_ALLOW: '127.0.0.1' } });
  acme = await createTenantWithKeys(t, 'acme');
  globex = await createTenantWithKeys(t, 'globex');
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

describe('follow-ups over GraphQL', () => {
  it('a charge that succeeds creates and runs its receipt: templated input (types kept), parent, correlation id', async () => {
    upstream.script('/charges', { status: 201, body: { id: 'ch_1', amount: 4200, card: { last4: '4242' } } });
    upstream.script('/mail', { status: 202, body: { queued: true } });
    const res = await call(acme.client, { service: 'shop', operation: 'charge', input: { amount: 4200, email: 'a@example.com' }, correlationId: 'order-1' });
    expect(res.__typename).toBe('CallServiceSuccess');
    const job = await family(acme.client, res.job.id, (j) => j.followUps[0]?.status === 'SUCCEEDED');

    expect(job).toMatchObject({ status: 'SUCCEEDED', correlationId: 'order-1', parentJobId: null, parent: null });
    expect(job.followUps).toEqual([
      {
        id: expect.any(String),
        service: 'mail',
        operation: 'send',
        status: 'SUCCEEDED',
        input: { to: 'a@example.com', amount: 4200, card: { last4: '4242' }, subject: 'Receipt ch_1' },
        correlationId: 'order-1',
        parentJobId: job.id,
        lastError: null,
        parent: { id: job.id },
        followUps: [],
      },
    ]);
    const receipt = await family(acme.client, job.followUps[0].id);
    expect(receipt).toMatchObject({ parentJobId: job.id, parent: { id: job.id, status: 'SUCCEEDED' }, followUps: [] });
    expect(upstream.requests.filter((r) => r.path === '/mail').map((r) => r.body)).toEqual([
      { to: 'a@example.com', amount: 4200, card: { last4: '4242' }, subject: 'Receipt ch_1' },
    ]);
    // Counted as enqueued by the ending that created it, though no callService stored it.
    const metrics = await (await fetch(new URL('/metrics', t.url))).text();
    expect(metrics).toContain('callgate_jobs_enqueued_total{service="mail",operation="send"} 1');
  });

  it('a charge that fails creates its release (and no receipt); a follow-up of the caller\'s own joins the operation\'s', async () => {
    upstream.script('/charges', { status: 402, body: { error: 'card declined' } });
    const res = await call(acme.client, {
      service: 'shop',
      operation: 'charge',
      input: { amount: 10, email: 'b@example.com' },
      followUps: { onFailure: [{ service: 'stock', operation: 'release', input: { note: 'also for {{input.email}}' } }] },
    });
    const job = await family(acme.client, res.job.id, (j) => j.followUps.length === 2 && j.followUps.every((f: any) => f.status === 'SUCCEEDED'));
    expect(job.status).toBe('FAILED');
    expect(job.followUps.map((f: any) => f.input)).toEqual([
      { reason: expect.stringContaining('402'), charge: job.id },
      { note: 'also for b@example.com' },
    ]);
  });

  it('another tenant sees neither the parent nor the follow-up', async () => {
    upstream.script('/charges', { status: 201, body: { id: 'ch_2', amount: 1, card: {} } });
    const res = await call(acme.client, { service: 'shop', operation: 'charge', input: { amount: 1, email: 'c@example.com' } });
    const job = await family(acme.client, res.job.id, (j) => j.followUps.length === 1);
    expect(await family(globex.ops, job.id)).toBeNull();
    expect(await family(globex.ops, job.followUps[0].id)).toBeNull();
    const { body } = await gqlAs(t, globex.ops, `{ jobs(first: 100) { edges { node { id followUps { id } parent { id } } } } }`);
    expect(body.data?.jobs.edges).toEqual([]);
  });

  it('refuses unknown follow-up names and inputs that break the target schema with typed errors, creating no job', async () => {
    const before = (await t.app.database.db.select({ id: jobs.id }).from(jobs)).length;
    const charge = (followUps: unknown) => ({ service: 'shop', operation: 'charge', input: { amount: 1, email: 'd@example.com' }, followUps });
    expect(await call(acme.client, charge({ onSuccess: [{ service: 'nope', operation: 'x', input: {} }] }))).toMatchObject({
      __typename: 'UnknownServiceError',
      service: 'nope',
    });
    expect(await call(acme.client, charge({ onFailure: [{ service: 'mail', operation: 'nope', input: {} }] }))).toMatchObject({
      __typename: 'UnknownOperationError',
      operation: 'nope',
    });
    expect(await call(acme.client, charge({ onSuccess: [{ service: 'mail', operation: 'send', input: { to: '{{input.amount}}', amount: 1 } }] }))).toEqual({
      __typename: 'InvalidInputError',
      message: 'invalid input: followUps.onSuccess[0].input/to must be string',
      violations: [{ path: 'followUps.onSuccess[0].input/to', message: 'must be string' }],
    });
    expect((await t.app.database.db.select({ id: jobs.id }).from(jobs)).length).toBe(before);
  });

  it("the admin API's follow-ups may name the tenant's own services and the file's, never another tenant's", async () => {
    const REGISTER = `mutation($input: ServiceDefinitionInput!) {
      registerService(input: $input) { __typename ... on InvalidServiceError { problems } }
    }`;
    const register = async (key: string, input: unknown) => (await gqlAs(t, key, REGISTER, { input })).body.data?.registerService;
    expect(
      await register(acme.admin, {
        name: 'acme-hooks',
        kind: 'MOCK',
        operations: [
          { name: 'ping', onSuccess: [{ service: 'acme-hooks', operation: 'pong', input: { from: '{{jobId}}' } }] },
          { name: 'pong', onFailure: [{ service: 'stock', operation: 'release', input: {} }] },
        ],
      }),
    ).toEqual({ __typename: 'ServiceSuccess' });
    expect(
      await register(globex.admin, { name: 'globex-hooks', kind: 'MOCK', operations: [{ name: 'ping', onSuccess: [{ service: 'acme-hooks', operation: 'pong', input: {} }] }] }),
    ).toEqual({
      __typename: 'InvalidServiceError',
      problems: ['service "globex-hooks", operation "ping", field "onSuccess.0.service": names unknown service "acme-hooks"'],
    });

    const { body } = await gqlAs(t, acme.admin, `{ service(name: "acme-hooks") { operations { name onSuccess onFailure } } }`);
    expect(body.data?.service.operations).toEqual([
      { name: 'ping', onSuccess: [{ service: 'acme-hooks', operation: 'pong', input: { from: '{{jobId}}' } }], onFailure: [] },
      { name: 'pong', onSuccess: [], onFailure: [{ service: 'stock', operation: 'release', input: {} }] },
    ]);

    const res = await call(acme.client, { service: 'acme-hooks', operation: 'ping', input: {} });
    const job = await family(acme.client, res.job.id, (j) => j.followUps[0]?.status === 'SUCCEEDED');
    expect(job.followUps).toMatchObject([{ service: 'acme-hooks', operation: 'pong', input: { from: job.id } }]);
    const stored = await t.app.database.db.select().from(jobs).where(eq(jobs.parentJobId, job.id));
    expect(stored).toMatchObject([{ depth: 1, followUps: { onSuccess: [], onFailure: [{ service: 'stock' }] } }]);
  });
});
