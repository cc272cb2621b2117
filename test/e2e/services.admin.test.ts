// The admin service API as a tenant admin: register a service and call it, switch it to its mock,
// test it without a job, refuse deleting it while jobs are open; the file's services stay the
// operator's; invalid definitions get the file's located messages; mock templates answer realistically.
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { tenantSecretPrefix } from '../../src/registry/tenant-secrets';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';
import { startUpstream, type Upstream } from '../helpers/upstream';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
`;

const REGISTER = `mutation($input: ServiceDefinitionInput!) {
  registerService(input: $input) {
    __typename
    ... on ServiceSuccess { service { name kind mode source baseUrl operations { name path timeoutMs } } }
    ... on InvalidServiceError { problems }
    ... on Error { message }
  }
}`;
const UPDATE = REGISTER.replace('registerService', 'updateService');
const DELETE = `mutation($name: String!) {
  deleteService(name: $name) { __typename ... on DeleteServiceSuccess { name } ... on ServiceInUseError { openJobs } ... on Error { message } }
}`;
const SET_MODE = `mutation($name: String!, $mode: ServiceMode!) {
  setServiceMode(name: $name, mode: $mode) { __typename ... on ServiceSuccess { service { name mode } } ... on Error { message } }
}`;
const TEST = `mutation($name: String!, $operation: String!, $input: JSON!, $mode: ServiceMode) {
  testService(name: $name, operation: $operation, input: $input, mode: $mode) {
    __typename
    ... on TestServiceSuccess { mode outcome httpStatus output error durationMs }
    ... on InvalidInputError { violations { path message } }
    ... on Error { message }
  }
}`;
const CALL = `mutation($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } }
}`;
const JOB = `query($id: ID!) { job(id: $id) { status output } }`;
const SERVICE_NAMES = `{ services { name source } }`;

let t: TestApp;
let upstream: Upstream;
type Keys = Awaited<ReturnType<typeof createTenantWithKeys>>;
let acme: Keys;
let globex: Keys;

const jobCount = async () => (await t.app.database.db.select({ n: count() }).from(jobs))[0]!.n;

/** A weather API on the local upstream, with the weather mock template for its MOCK mode. */
const weather = (name: string) => ({
  name,
  kind: 'HTTP',
  baseUrl: `${upstream.url}/v1`,
  timeoutMs: 2000,
  operations: [{ name: 'forecast', method: 'POST', path: '/forecast/{city}', mockTemplate: 'weather' }],
});

async function call(key: string, service: string, operation: string, input: unknown, extra: Record<string, unknown> = {}) {
  const { body } = await gqlAs(t, key, CALL, { input: { service, operation, input, ...extra } });
  return body.data!.callService as { __typename: string; job?: { id: string }; message?: string };
}

async function finished(key: string, id: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const job = (await gqlAs(t, key, JOB, { id })).body.data!.job as { status: string; output: any };
    if (['SUCCEEDED', 'FAILED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  upstream = await startUpstream();
  // Services from the API go through the SSRF guard: the local upstream must be allowed explicitly.
  t = await buildTestApp({ services: SERVICES, env: { NODE_ENV: 'production', CALLGATE_OUTBOUND_ALLOW: '127.0.0.1' } });
  acme = await createTenantWithKeys(t, 'acme');
  globex = await createTenantWithKeys(t, 'globex');
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

describe('registerService', () => {
  it('registers a service that callService runs to SUCCEEDED against the upstream', async () => {
    upstream.script('/v1/forecast/Oslo', { status: 200, body: { city: 'Oslo', temperature: 3 } });
    const { body } = await gqlAs(t, acme.admin, REGISTER, { input: weather('acme-weather') });
    expect(body.data!.registerService).toEqual({
      __typename: 'ServiceSuccess',
      service: {
        name: 'acme-weather',
        kind: 'HTTP',
        mode: 'REAL',
        source: 'API',
        baseUrl: `${upstream.url}/v1`,
        operations: [{ name: 'forecast', path: '/forecast/{city}', timeoutMs: 2000 }],
      },
    });
    const called = await call(acme.client, 'acme-weather', 'forecast', { city: 'Oslo' });
    expect(called.__typename).toBe('CallServiceSuccess');
    const job = await finished(acme.client, called.job!.id);
    expect(job).toEqual({ status: 'SUCCEEDED', output: { city: 'Oslo', temperature: 3 } });
    expect(upstream.requests.filter((r) => r.path === '/v1/forecast/Oslo')).toHaveLength(1);
  });

  it("refuses auth that names a variable outside the tenant's own CALLGATE_SECRET_<tenant>_ prefix", async () => {
    const prefix = tenantSecretPrefix(acme.tenant.id);
    for (const auth of [{ bearerTokenEnv: 'DATABASE_URL' }, { basic: { usernameEnv: `${prefix}USER`, passwordEnv: `${tenantSecretPrefix(globex.tenant.id)}PASS` } }]) {
      const { body } = await gqlAs(t, acme.admin, REGISTER, { input: { ...weather('acme-leaky'), auth } });
      expect(body.data!.registerService).toMatchObject({ __typename: 'InvalidServiceError' });
      expect(body.data!.registerService.problems.join(' ')).toContain(`name variables ${prefix}*`);
    }
    const own = await gqlAs(t, acme.admin, REGISTER, { input: { ...weather('acme-keyed'), auth: { bearerTokenEnv: `${prefix}WEATHER_TOKEN` } } });
    expect(own.body.data!.registerService).toMatchObject({ __typename: 'ServiceSuccess' });
    // Leave the tenant's service list as the next tests expect it.
    expect((await gqlAs(t, acme.admin, DELETE, { name: 'acme-keyed' })).body.data!.deleteService).toMatchObject({ __typename: 'DeleteServiceSuccess' });
  });

  it('is the tenant\'s own: another tenant neither sees nor calls it, and cannot take its name', async () => {
    const seen = await gqlAs(t, globex.ops, SERVICE_NAMES);
    expect(seen.body.data!.services).toEqual([{ name: 'mock', source: 'FILE' }]);
    expect((await gqlAs(t, acme.ops, SERVICE_NAMES)).body.data!.services).toEqual([
      { name: 'mock', source: 'FILE' },
      { name: 'acme-weather', source: 'API' },
    ]);
    expect(await call(globex.client, 'acme-weather', 'forecast', { city: 'Oslo' })).toMatchObject({ __typename: 'UnknownServiceError' });
    const taken = await gqlAs(t, globex.admin, REGISTER, { input: weather('acme-weather') });
    expect(taken.body.data!.registerService).toEqual({ __typename: 'ServiceNameTakenError', message: 'a service named "acme-weather" exists' });
    const foreign = await gqlAs(t, globex.admin, DELETE, { name: 'acme-weather' });
    expect(foreign.body.data!.deleteService).toEqual({ __typename: 'NotFoundError', message: 'service "acme-weather" not found' });
  });

  it('refuses what the file refuses, with the same located messages, and stores nothing', async () => {
    const { body } = await gqlAs(t, acme.admin, REGISTER, {
      input: {
        name: 'broken',
        kind: 'HTTP',
        baseUrl: 'http://user:pw@example.com/api?x=1',
        operations: [
          { name: 'get', method: 'GET', path: '/items/{id}', input: { type: 'object', properties: { q: { type: 'object' } } } },
          { name: 'tpl', mockTemplate: 'horoscope' },
        ],
      },
    });
    const problems = [
      'service "broken", operation "tpl", field "mockTemplate": unknown template "horoscope"; one of weather, news, document-generation, data-validation',
      'service "broken", field "baseUrl": must not carry a user name or password (use auth)',
      'service "broken", field "baseUrl": must not have a query string',
      'service "broken", operation "get", field "path": placeholder "{id}" is not a property of the operation\'s input schema',
      'service "broken", operation "get", field "input.properties.q": must be a string, number, integer, boolean or null (a GET or DELETE sends its input as a query string)',
    ];
    expect(body.data!.registerService).toEqual({ __typename: 'InvalidServiceError', problems, message: `invalid service: ${problems.join('; ')}` });
    const schema = await gqlAs(t, acme.admin, REGISTER, { input: { name: 'broken', kind: 'MOCK', operations: [{ name: 'a', input: { type: 12 } }] } });
    expect(schema.body.data!.registerService.problems).toEqual([
      expect.stringMatching(/^service "broken", operation "a", field "input": not a valid JSON Schema: /),
    ]);
    const name = await gqlAs(t, acme.admin, REGISTER, { input: { name: '9lives', kind: 'MOCK', mockTemplate: 'news' } });
    expect(name.body.data!.registerService.problems).toEqual([
      'service "9lives", field "name": must start with a letter and use only letters, digits, _ and -',
    ]);
    expect((await gqlAs(t, acme.ops, SERVICE_NAMES)).body.data!.services.map((s: { name: string }) => s.name)).toEqual(['mock', 'acme-weather']);
  });

  it('is for admin keys only', async () => {
    const { body } = await gqlAs(t, acme.ops, REGISTER, { input: weather('ops-weather') });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(body.data).toBeNull();
  });
});

describe('setServiceMode and testService', () => {
  it('MOCK: the next job answers from the mock template, with no upstream call; REAL switches back', async () => {
    const mocked = await gqlAs(t, acme.admin, SET_MODE, { name: 'acme-weather', mode: 'MOCK' });
    expect(mocked.body.data!.setServiceMode).toEqual({ __typename: 'ServiceSuccess', service: { name: 'acme-weather', mode: 'MOCK' } });
    const before = upstream.requests.length;
    const called = await call(acme.client, 'acme-weather', 'forecast', { city: 'Bergen', units: 'metric' });
    const job = await finished(acme.client, called.job!.id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.output).toMatchObject({
      location: { city: 'Bergen', requestId: called.job!.id },
      units: 'metric',
      current: { condition: 'partly cloudy' },
      summary: 'Partly cloudy in Bergen, 18.4° now; rain likely tomorrow.',
    });
    expect(job.output.forecast).toHaveLength(3);
    expect(upstream.requests.length).toBe(before);

    await gqlAs(t, acme.admin, SET_MODE, { name: 'acme-weather', mode: 'REAL' });
    upstream.script('/v1/forecast/Bergen', { status: 200, body: { real: true } });
    const real = await call(acme.client, 'acme-weather', 'forecast', { city: 'Bergen' });
    expect((await finished(acme.client, real.job!.id)).output).toEqual({ real: true });
  });

  it('testService makes one call through the http client, returns result and timing, and creates no job', async () => {
    upstream.script('/v1/forecast/Rome', { status: 200, body: { city: 'Rome', temperature: 24 }, delayMs: 30 });
    const jobsBefore = await jobCount();
    const before = upstream.requests.length;
    const { body } = await gqlAs(t, acme.admin, TEST, { name: 'acme-weather', operation: 'forecast', input: { city: 'Rome' } });
    expect(body.data!.testService).toMatchObject({
      __typename: 'TestServiceSuccess',
      mode: 'REAL',
      outcome: 'SUCCESS',
      httpStatus: 200,
      output: { city: 'Rome', temperature: 24 },
      error: null,
    });
    expect(body.data!.testService.durationMs).toBeGreaterThanOrEqual(30);
    expect(upstream.requests.length).toBe(before + 1);

    const mock = await gqlAs(t, acme.admin, TEST, { name: 'acme-weather', operation: 'forecast', input: { city: 'Rome' }, mode: 'MOCK' });
    expect(mock.body.data!.testService).toMatchObject({ mode: 'MOCK', outcome: 'SUCCESS', output: { location: { city: 'Rome' } } });
    expect(upstream.requests.length).toBe(before + 1);

    const invalid = await gqlAs(t, acme.admin, TEST, { name: 'acme-weather', operation: 'forecast', input: {} });
    expect(invalid.body.data!.testService).toMatchObject({ __typename: 'InvalidInputError', violations: [{ path: '/city', message: 'is required' }] });
    // callService's own checks, not only the schema: a string no job could store is never sent either.
    const unstorable = await gqlAs(t, acme.admin, TEST, { name: 'acme-weather', operation: 'forecast', input: { city: 'Ro\u0000me' } });
    expect(unstorable.body.data!.testService).toMatchObject({
      __typename: 'InvalidInputError',
      violations: [{ path: '/city', message: expect.stringMatching(/NUL/) }],
      message: expect.stringMatching(/^invalid input: \/city /),
    });
    expect(upstream.requests.length).toBe(before + 1);
    expect(await jobCount()).toBe(jobsBefore);
  });

  it('testService goes through the SSRF guard: an API service aimed at a refused address gets no connection', async () => {
    await gqlAs(t, acme.admin, REGISTER, {
      input: { name: 'metadata', kind: 'HTTP', baseUrl: 'http://169.254.169.254/latest', operations: [{ name: 'read', method: 'GET' }] },
    });
    const { body } = await gqlAs(t, acme.admin, TEST, { name: 'metadata', operation: 'read', input: {} });
    expect(body.data!.testService).toMatchObject({ outcome: 'HTTP_ERROR', httpStatus: null, error: expect.stringMatching(/169\.254\.169\.254/) });
  });
});

describe('mock templates', () => {
  it('are listed, and a service made from one answers realistically from its input', async () => {
    const list = await gqlAs(t, acme.admin, '{ mockTemplates { id operation inputSchema } }');
    expect(list.body.data!.mockTemplates.map((m: { id: string }) => m.id)).toEqual(['weather', 'news', 'document-generation', 'data-validation']);
    for (const [id, operation, input] of [
      ['news', 'headlines', { topic: 'solar power' }],
      ['document-generation', 'render', { template: 'invoice', format: 'pdf', data: { total: 120 } }],
      ['data-validation', 'validate', { record: { email: 'ann@example.com', country: 'NO' }, ruleset: 'signup' }],
    ] as const) {
      const registered = await gqlAs(t, acme.admin, REGISTER, { input: { name: `acme-${id}`, kind: 'MOCK', mockTemplate: id } });
      expect(registered.body.data!.registerService.service.operations.map((o: { name: string }) => o.name)).toEqual([operation]);
      const called = await call(acme.client, `acme-${id}`, operation, input);
      const job = await finished(acme.client, called.job!.id);
      expect(job.status).toBe('SUCCEEDED');
      if (id === 'news') {
        expect(job.output.topic).toBe('solar power');
        expect(job.output.articles[1].title).toBe('Analysts weigh in on solar power');
      } else if (id === 'document-generation') {
        expect(job.output).toMatchObject({ documentId: `doc_${called.job!.id}`, template: 'invoice', format: 'pdf', data: { total: 120 } });
      } else {
        expect(job.output).toMatchObject({ valid: true, ruleset: 'signup', record: { email: 'ann@example.com' } });
        expect(job.output.checks[2]).toEqual({ field: 'country', rule: 'iso-3166-1', passed: true, value: 'NO' });
      }
    }
  });
});

describe('file services and deleting', () => {
  it('a file service cannot be changed, switched or deleted by a tenant admin', async () => {
    const update = await gqlAs(t, acme.admin, UPDATE, { input: { name: 'mock', kind: 'MOCK', operations: [{ name: 'echo' }] } });
    const readOnly = { __typename: 'ReadOnlyServiceError', message: 'service "mock" comes from the services file: change it there (the API may not)' };
    expect(update.body.data!.updateService).toEqual(readOnly);
    expect((await gqlAs(t, acme.admin, DELETE, { name: 'mock' })).body.data!.deleteService).toEqual(readOnly);
    expect((await gqlAs(t, acme.admin, SET_MODE, { name: 'mock', mode: 'MOCK' })).body.data!.setServiceMode).toEqual(readOnly);
  });

  it('updateService replaces the definition; deleteService is refused while a job is pending, then deletes', async () => {
    const updated = await gqlAs(t, acme.admin, UPDATE, { input: { ...weather('acme-weather'), timeoutMs: 3000 } });
    expect(updated.body.data!.updateService.service.operations[0].timeoutMs).toBe(3000);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const pending = await call(acme.client, 'acme-weather', 'forecast', { city: 'Oslo' }, { runAt: later });
    expect(pending).toMatchObject({ __typename: 'CallServiceSuccess' });
    const refused = await gqlAs(t, acme.admin, DELETE, { name: 'acme-weather' });
    expect(refused.body.data!.deleteService).toEqual({ __typename: 'ServiceInUseError', openJobs: 1, message: 'service "acme-weather" has 1 open jobs' });
    expect(await call(acme.client, 'acme-weather', 'forecast', { city: 'Oslo' }, { runAt: later })).toMatchObject({ __typename: 'CallServiceSuccess' });

    await t.app.database.db.update(jobs).set({ status: 'cancelled' }).where(eq(jobs.service, 'acme-weather'));
    const deleted = await gqlAs(t, acme.admin, DELETE, { name: 'acme-weather' });
    expect(deleted.body.data!.deleteService).toEqual({ __typename: 'DeleteServiceSuccess', name: 'acme-weather' });
    expect(await call(acme.client, 'acme-weather', 'forecast', { city: 'Oslo' })).toMatchObject({ __typename: 'UnknownServiceError' });
  });
});
