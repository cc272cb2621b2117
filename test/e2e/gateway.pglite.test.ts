// The same happy path on the embedded PGlite that a bare machine gets with no DATABASE_URL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let t: TestApp;
beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    pglite: true,
    services: `
services:
  - { name: hooks, kind: http, baseUrl: "${upstream.url}", operations: [{ name: ping, method: PUT, path: /ping }] }
  - { name: mock, kind: mock, operations: [{ name: echo, mock: { latencyMs: [5, 20] } }] }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

it('runs on PGlite', () => {
  expect(t.app.database.kind).toBe('pglite');
});

it.each([
  ['hooks', 'ping', { n: 1 }, { ok: true }],
  ['mock', 'echo', { hello: 'pglite' }, { echo: { hello: 'pglite' } }],
])('runs %s.%s to SUCCEEDED with live updates', async (service, operation, input, output) => {
  const res = await t.gql(
    `mutation($input: CallServiceInput!) { callService(input: $input) { ... on CallServiceSuccess { job { id } } } }`,
    { input: { service, operation, input } },
  );
  const id = res.data?.callService.job.id;
  const updates = await t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status output } }`, { id });
  expect(updates.at(-1)?.data?.jobUpdated).toEqual({ status: 'SUCCEEDED', output });
});

it('sent the http job upstream', () => {
  expect(upstream.requests).toMatchObject([{ method: 'PUT', path: '/ping', body: { n: 1 } }]);
});
