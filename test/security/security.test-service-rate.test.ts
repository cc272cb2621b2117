// testService sends a real call to the upstream, so it draws on the caller's rate limit like
// callService: an admin key cannot use it to flood a provider past CALLGATE_RATE_LIMIT_PER_MINUTE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { CALL, callInput } from './hostile-fixtures';

const RATE_PER_MINUTE = 3;

const TEST = `mutation($name: String!, $operation: String!, $input: JSON!) {
  testService(name: $name, operation: $operation, input: $input) {
    __typename
    ... on Error { message }
    ... on RateLimitedError { retryAfterSeconds }
  }
}`;

let t: TestApp;
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
  t = await buildTestApp({
    services: `
services:
  - name: mock
    kind: mock
    operations: [{ name: echo }]
  - name: provider
    kind: http
    baseUrl: ${upstream.url}
    operations:
      - name: ping
        path: /ping
`,
    env: { CALLGATE_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE), WORKER_CONCURRENCY: '0' },
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const pings = () => upstream.requests.filter((r) => r.path === '/ping').length;

describe('testService', () => {
  it(`answers RateLimitedError after ${RATE_PER_MINUTE} calls a minute, sending nothing; callService shares the bucket`, async () => {
    upstream.script('/ping', { status: 200, body: { pong: true } });
    const acme = await createTenantWithKeys(t, 'acme');
    const test = (key: string) => gqlAs(t, key, TEST, { name: 'provider', operation: 'ping', input: {} }).then((r) => r.body.data?.testService);

    for (let i = 0; i < RATE_PER_MINUTE; i++) expect(await test(acme.admin)).toMatchObject({ __typename: 'TestServiceSuccess' });
    expect(pings()).toBe(RATE_PER_MINUTE);

    const refused = await test(acme.admin);
    expect(refused.__typename).toBe('RateLimitedError');
    expect(refused.message).toMatch(/too many calls/);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60 / RATE_PER_MINUTE);
    expect(pings()).toBe(RATE_PER_MINUTE);

    // One bucket per key, whichever mutation takes from it.
    const call = await gqlAs(t, acme.admin, CALL, callInput({ n: 1 }));
    expect(call.body.data?.callService.__typename).toBe('RateLimitedError');
    // Another key has its own.
    const other = await createTenantWithKeys(t, 'globex');
    expect(await test(other.admin)).toMatchObject({ __typename: 'TestServiceSuccess' });
    expect(pings()).toBe(RATE_PER_MINUTE + 1);
  });
});
