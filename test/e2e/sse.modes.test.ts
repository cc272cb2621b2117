// Both modes of the graphql-sse client against /graphql: distinct connections (one SSE response
// per operation, Yoga's own) and single connection (a reserved stream, useSingleConnectionSSE).
import { createClient, NetworkError } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [100, 200] }
`;
const WATCH = `subscription Watch($id: ID!) { jobUpdated(id: $id) { id status output } }`;

interface Watch {
  jobUpdated: { id: string; status: string; output: unknown };
}

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES });
});
afterAll(async () => {
  await t?.stop();
});

describe.each([
  { mode: 'distinct connections', singleConnection: false },
  { mode: 'single connection', singleConnection: true },
])('graphql-sse, $mode mode, on /graphql', ({ singleConnection }) => {
  it('follows a job to SUCCEEDED', async () => {
    const client = createClient({ url: t.url, singleConnection, retryAttempts: 0 });
    try {
      const id = await t.call('mock', 'echo', { hi: 1 });
      const statuses: string[] = [];
      let last: Watch['jobUpdated'] | undefined;
      for await (const result of client.iterate<Watch>({ query: WATCH, variables: { id } })) {
        expect(result.errors).toBeUndefined();
        last = result.data!.jobUpdated;
        statuses.push(last.status);
      }
      expect(['PENDING', 'RUNNING']).toContain(statuses[0]);
      expect(last).toEqual({ id, status: 'SUCCEEDED', output: { echo: { hi: 1 } } });
    } finally {
      client.dispose();
    }
  });

  it('runs a query and a mutation too', async () => {
    const client = createClient({ url: t.url, singleConnection, retryAttempts: 0 });
    try {
      const call = `mutation { callService(input: { service: "mock", operation: "nope", input: {} }) { __typename ... on Error { message } } }`;
      const results = [];
      for await (const result of client.iterate({ query: call })) results.push(result);
      expect(results).toEqual([
        { data: { callService: { __typename: 'UnknownOperationError', message: expect.stringMatching(/nope/) } } },
      ]);
    } finally {
      client.dispose();
    }
  });
});

describe('graphql-sse, single connection mode, broken operations', () => {
  const BROKEN = [
    ['a syntax error', 'subscription { jobUpdated(id: "x") { status }', /^Syntax Error/],
    ['a validation error', 'subscription { jobUpdated(id: "x") { nope } }', /^Cannot query field "nope" on type "Job"/],
  ] as const;

  it.each(BROKEN)('refuses %s with a 400 carrying the errors (the plugin alone answers 500 or a wrong message)', async (_, query, message) => {
    // The protocol by hand: the client aborts the response before its body can be read.
    const token = await (await fetch(t.url, { method: 'PUT' })).text();
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graphql-event-stream-token': token },
      body: JSON.stringify({ query, extensions: { operationId: '1' } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string; extensions?: Record<string, unknown> }[] };
    expect(body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
    expect(body.errors[0]?.extensions?.http).toBeUndefined();

    const client = createClient({ url: t.url, singleConnection: true, retryAttempts: 0 });
    try {
      const err = await (async () => {
        for await (const result of client.iterate({ query })) expect.unreachable(JSON.stringify(result));
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetworkError);
      expect((err as NetworkError<Response>).response?.status).toBe(400);
    } finally {
      client.dispose();
    }
  });
});
