// Bad input never crashes the gateway and never creates a job: unknown names and schema
// violations are typed results, malformed requests are GraphQL errors.
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) {
    __typename
    ... on Error { message }
    ... on UnknownServiceError { service }
    ... on UnknownOperationError { service operation }
    ... on InvalidInputError { violations { path message } }
  }
}`;

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({
    services: `
services:
  - name: mail
    kind: mock
    operations:
      - name: send
        input:
          type: object
          required: [to, subject]
          additionalProperties: false
          properties: { to: { type: string, minLength: 3 }, subject: { type: string } }
`,
  });
});
afterAll(async () => t?.stop());

const jobCount = async () => (await t.app.database.db.select({ n: count() }).from(jobs))[0]!.n;
const callWith = (input: Record<string, unknown>) => t.gql(CALL, { input });

describe('callService with bad input', () => {
  it('answers UnknownServiceError for an unknown service', async () => {
    const res = await callWith({ service: 'nope', operation: 'send', input: {} });
    expect(res.data?.callService).toEqual({ __typename: 'UnknownServiceError', message: 'unknown service "nope"', service: 'nope' });
  });

  it('refuses an over-long service or operation name without echoing it or creating a job', async () => {
    const before = await jobCount();
    const long = 'x'.repeat(100_000);
    for (const input of [
      { service: long, operation: 'send', input: {} },
      { service: 'mail', operation: long, input: {} },
    ]) {
      const res = await callWith(input);
      expect(res.errors?.[0]).toMatchObject({
        message: 'service and operation names are at most 64 characters',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(JSON.stringify(res)).not.toContain('x'.repeat(65));
    }
    expect(await jobCount()).toBe(before);
  });

  it('answers UnknownOperationError for an unknown operation', async () => {
    const res = await callWith({ service: 'mail', operation: 'fax', input: {} });
    expect(res.data?.callService).toMatchObject({ __typename: 'UnknownOperationError', service: 'mail', operation: 'fax' });
    expect(res.data?.callService.message).toBe('service "mail" has no operation "fax"');
  });

  it('answers InvalidInputError listing every schema violation', async () => {
    const res = await callWith({ service: 'mail', operation: 'send', input: { to: 'x', cc: 'y' } });
    expect(res.data?.callService.__typename).toBe('InvalidInputError');
    expect(res.data?.callService.violations).toEqual(
      expect.arrayContaining([
        { path: '/subject', message: 'is required' },
        { path: '/cc', message: 'is not allowed' },
        { path: '/to', message: 'must NOT have fewer than 3 characters' },
      ]),
    );
    expect(res.data?.callService.message).toMatch(/\/subject is required/);
  });

  it('rejects out-of-range arguments with a GraphQL error', async () => {
    const base = { service: 'mail', operation: 'send', input: { to: 'a@b.c', subject: 'hi' } };
    for (const extra of [{ maxAttempts: 0 }, { maxAttempts: 101 }, { deadline: '2001-01-01T00:00:00Z' }]) {
      const res = await callWith({ ...base, ...extra });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(extra)).toBe('BAD_USER_INPUT');
    }
  });

  it('answers InvalidInputError on idempotencyKey for an over-long or empty key', async () => {
    const base = { service: 'mail', operation: 'send', input: { to: 'a@b.c', subject: 'hi' } };
    for (const idempotencyKey of ['k'.repeat(201), '']) {
      const res = await callWith({ ...base, idempotencyKey });
      expect(res.data?.callService).toMatchObject({ __typename: 'InvalidInputError', violations: [{ path: 'idempotencyKey' }] });
    }
  });

  it('answers malformed JSON, wrong variable types and missing input with errors', async () => {
    const raw = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "mutation {' });
    expect(raw.status).toBe(400);
    expect((await raw.json()).errors[0].message).toMatch(/JSON/i);

    const wrongType = await t.gql(CALL, { input: { service: 'mail', operation: 7, input: {} } });
    expect(wrongType.errors?.[0]?.message).toMatch(/operation/);

    const missing = await t.gql(CALL, { input: { service: 'mail', operation: 'send' } });
    expect(missing.errors?.[0]?.message).toMatch(/input/);

    const badDate = await t.gql(CALL, { input: { service: 'mail', operation: 'send', input: {}, runAt: 'tomorrow' } });
    expect(badDate.errors?.[0]?.message).toMatch(/runAt|DateTime/);
  });

  it('created no job for any of the above, and still works', async () => {
    expect(await jobCount()).toBe(0);
    const ok = await callWith({ service: 'mail', operation: 'send', input: { to: 'a@b.c', subject: 'hi' } });
    expect(ok.data?.callService.__typename).toBe('CallServiceSuccess');
    expect(await jobCount()).toBe(1);
  });

  it('answers null for an unknown or malformed job id, and an error when subscribing to one', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "'; drop table jobs; --"]) {
      const res = await t.gql(`query($id: ID!) { job(id: $id) { id } }`, { id });
      expect(res).toEqual({ data: { job: null } });
    }
    const updates = await t.subscribe(`subscription { jobUpdated(id: "not-a-uuid") { id } }`).catch((e: unknown) => e);
    expect(JSON.stringify(updates)).toMatch(/not found/);
  });

  it('rejects a bad cursor and page size', async () => {
    expect((await t.gql(`{ jobs(first: 0) { edges { cursor } } }`)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.gql(`{ jobs(first: 101) { edges { cursor } } }`)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.gql(`{ jobs(after: "zzz") { edges { cursor } } }`)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
