// Hostile values in a job's input cannot bend the request: a path placeholder stays inside its
// segment, the base URL's path stays a prefix, and headers built from input stay one line. Each
// refusal is a clear, non-retryable error, nothing reaches the upstream, and the breaker is untouched.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import type { UpstreamClient } from '../../src/clients/types';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { callRequest, expectRefusedUnsent } from './outbound-fixtures';

let upstream: Upstream;
let client: UpstreamClient;
const SECRETS: Record<string, string> = { SPLIT_KEY: 'k-123\r\nX-Injected: 1', UNICODE_KEY: 'k-é' };

beforeAll(async () => {
  upstream = await startUpstream();
  client = createHttpClient({ secret: (name) => SECRETS[name] });
});
beforeEach(() => {
  upstream.requests.length = 0;
});
afterAll(async () => {
  await client.close();
  await upstream.close();
});

const user = (id: unknown) => callRequest({ baseUrl: `${upstream.url}/api`, method: 'GET', path: '/users/{id}', input: { id } });

describe('a path placeholder value', () => {
  it.each([
    ['..', 'must not be "." or ".."'],
    ['.', 'must not be "." or ".."'],
    ['a/b', 'must not contain "/", "\\", "?", "#" or control characters'],
    ['a\\b', 'must not contain'],
    ['?admin=1', 'must not contain'],
    ['#top', 'must not contain'],
    ['1\r\nHost: evil', 'must not contain'],
    ['nul\u0000', 'must not contain'],
    ['', 'must not be empty'],
    [{ toString: '..' }, 'must be a string or a number'],
  ])('%j is refused and never sent', async (value, error) => {
    await expectRefusedUnsent(client, user(value), `path parameter "id" ${error}`);
    expect(upstream.requests).toHaveLength(0);
  });

  it('keeps the base path a prefix: ../.. cannot climb out of /api/v1', async () => {
    const climb = callRequest({ baseUrl: `${upstream.url}/api/v1`, method: 'GET', path: '/{a}/{b}', input: { a: '..', b: '..' } });
    await expectRefusedUnsent(client, climb, 'path parameter "a" must not be "." or ".."');
    expect(upstream.requests).toHaveLength(0);
  });

  it('still fills ordinary values, encoded, under the base path', async () => {
    const ok = callRequest({ baseUrl: `${upstream.url}/api/v1/`, method: 'GET', path: '/{a}/{b}', input: { a: 'x y', b: 42, q: '1&2' } });
    expect(await client.call(ok)).toMatchObject({ outcome: 'success' });
    expect(await client.call(user('..x'))).toMatchObject({ outcome: 'success' });
    expect(upstream.requests.map((r) => r.path)).toEqual(['/api/v1/x%20y/42?q=1%262', '/api/users/..x']);
  });
});

describe('a header built from input or keys', () => {
  it.each([
    ['CR/LF', 'key\r\nX-Injected: 1'],
    ['a lone LF', 'key\nx'],
    ['NUL', 'key\u0000'],
    ['non-ASCII', 'clé'],
  ])('an idempotency key with %s is refused before sending', async (_what, key) => {
    const req = { ...callRequest({ baseUrl: upstream.url }), idempotencyKey: key };
    await expectRefusedUnsent(client, req, 'header "idempotency-key" must be printable ASCII');
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['SPLIT_KEY', 'UNICODE_KEY'])('an API key (%s) that cannot be a header value is refused without quoting it', async (env) => {
    const req = callRequest({ baseUrl: upstream.url, auth: { apiKeyHeader: { name: 'X-Api-Key', valueEnv: env } } });
    await expectRefusedUnsent(client, req, 'header "x-api-key" must be printable ASCII');
    const result = await client.call(req);
    expect(JSON.stringify(result)).not.toContain(SECRETS[env]!.slice(0, 5));
    expect(upstream.requests).toHaveLength(0);
  });
});
