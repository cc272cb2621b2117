import { createServer } from 'node:net';
import { once } from 'node:events';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import type { CallRequest, UpstreamClient } from '../../src/clients/types';
import type { AuthConfig, HttpMethod, ServiceDef } from '../../src/registry/types';
import { startUpstream, type Upstream } from '../helpers/upstream';

const SECRETS: Record<string, string> = { TOKEN: 'tok-s3cr3t-901', API_KEY: 'key-s3cr3t-902', USER: 'alice', PASS: 'pw-s3cr3t-903' };
/** Generous slack for a loaded 2-core machine; a missing timeout would take the full hang. */
const TIMING_MARGIN_MS = 400;

let upstream: Upstream;
let client: UpstreamClient;

beforeEach(async () => {
  upstream = await startUpstream();
  client = createHttpClient({ secret: (name) => SECRETS[name] });
});
afterEach(async () => {
  await client.close();
  await upstream.close();
});

function callReq(
  over: { method?: HttpMethod; path?: string; input?: unknown; auth?: AuthConfig; baseUrl?: string } & Partial<CallRequest> = {},
): CallRequest {
  const { method = 'POST', path = '/charges', auth, baseUrl = `${upstream.url}/v1`, ...rest } = over;
  const operation = { name: 'op', method, path };
  const service: ServiceDef = { name: 'payments', kind: 'http', baseUrl, auth, timeoutMs: 5_000, operations: [operation] };
  return { service, operation, jobId: 'job-1', input: { amount: 5 }, idempotencyKey: 'idem-1', timeoutMs: 5_000, ...rest };
}

describe('request building', () => {
  it('fills the path template, keeps the base path and sends the rest as a JSON body', async () => {
    const res = await client.call(callReq({ path: '/charges/{chargeId}/refunds', input: { chargeId: 'ch 1%2é', amount: 7 } }));
    expect(res.outcome).toBe('success');
    const [got] = upstream.requests;
    expect(got?.method).toBe('POST');
    expect(got?.path).toBe('/v1/charges/ch%201%252%C3%A9/refunds');
    expect(got?.body).toEqual({ amount: 7 });
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['user-agent']).toBe('callgate');
    expect(res.request.url).toBe(`${upstream.url}/v1/charges/ch%201%252%C3%A9/refunds`);
  });

  it('puts the scalar fields of a GET in the query string and sends no body', async () => {
    const res = await client.call(callReq({ method: 'GET', path: '/charges/{id}', input: { id: 42, limit: 10, q: 'a b&c=d#e\r\n', none: null } }));
    expect(res.outcome).toBe('success');
    expect(upstream.requests[0]?.path).toBe('/v1/charges/42?limit=10&q=a+b%26c%3Dd%23e%0D%0A');
    expect(upstream.requests[0]?.body).toBe('');
  });

  it('refuses, without sending, a GET whose input holds an object the query string would drop', async () => {
    const res = await client.call(callReq({ method: 'GET', path: '/charges', input: { limit: 10, nested: { x: 1 } } }));
    expect(res).toMatchObject({
      outcome: 'http_error',
      retryable: false,
      error: 'query parameter "nested" must be a string, number or boolean (a GET sends its input as a query string)',
    });
    expect(res.httpStatus).toBeUndefined();
    expect(upstream.requests).toHaveLength(0);
  });

  it('fails without sending when a path parameter is missing', async () => {
    const res = await client.call(callReq({ path: '/charges/{chargeId}', input: { amount: 1 } }));
    expect(res).toMatchObject({ outcome: 'http_error', retryable: false, error: 'path parameter "chargeId" is missing from the input' });
    expect(res.httpStatus).toBeUndefined();
    expect(upstream.requests).toHaveLength(0);
  });

  it('sends the idempotency key, and the upstream sees overlapping calls with one key', async () => {
    upstream.script('/v1/charges', { status: 200, body: { ok: 1 }, delayMs: 100 });
    await Promise.all([client.call(callReq()), client.call(callReq())]);
    expect(upstream.requests.map((r) => r.headers['idempotency-key'])).toEqual(['idem-1', 'idem-1']);
    expect(upstream.overlaps).toBe(1);
  });
});

describe('auth', () => {
  const cases: Array<[string, AuthConfig, string, string, string[]]> = [
    ['bearer', { bearerTokenEnv: 'TOKEN' }, 'authorization', `Bearer ${SECRETS.TOKEN}`, [SECRETS.TOKEN as string]],
    ['api key header', { apiKeyHeader: { name: 'X-Api-Key', valueEnv: 'API_KEY' } }, 'x-api-key', SECRETS.API_KEY as string, [SECRETS.API_KEY as string]],
    ['basic', { basic: { usernameEnv: 'USER', passwordEnv: 'PASS' } }, 'authorization',
      `Basic ${Buffer.from(`alice:${SECRETS.PASS}`).toString('base64')}`, [SECRETS.PASS as string, Buffer.from(`alice:${SECRETS.PASS}`).toString('base64')]],
  ];
  it.each(cases)('%s: sends the secret upstream and never returns it', async (_kind, auth, header, value, secrets) => {
    upstream.script('/v1/charges', { status: 500, body: 'boom' });
    const res = await client.call(callReq({ auth }));
    expect(upstream.requests[0]?.headers[header]).toBe(value);
    expect(res.request.headers[header]).toBe('[redacted]');
    const returned = JSON.stringify(res);
    for (const secret of secrets) expect(returned).not.toContain(secret);
  });

  it('does not call at all when a secret is unset', async () => {
    const res = await client.call(callReq({ auth: { bearerTokenEnv: 'PAYMENTS_TOKEN' } }));
    expect(res).toMatchObject({
      outcome: 'http_error',
      error: 'environment variable PAYMENTS_TOKEN (auth of service payments) is not set',
    });
    expect(res.httpStatus).toBeUndefined();
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('responses', () => {
  it('parses a JSON answer', async () => {
    upstream.script('/v1/charges', { status: 201, body: { id: 'ch_1' } });
    expect(await client.call(callReq())).toMatchObject({ outcome: 'success', httpStatus: 201, output: { id: 'ch_1' }, responseBody: '{"id":"ch_1"}' });
  });

  it('keeps the return address out of the logged answer when a provider echoes it', async () => {
    const url = 'http://gateway.test/callbacks/the-token-of-this-attempt';
    upstream.script('/v1/charges', { status: 202, body: { accepted: true, callback_url: url } });
    const result = await client.call(callReq({ callback: { url, correlationId: 'c-1' } }));
    expect(result).toMatchObject({ outcome: 'success', httpStatus: 202 });
    expect(result.responseBody).toContain('accepted');
    expect(result.responseBody).not.toContain('the-token-of-this-attempt');
  });

  it('returns text as text and an empty body as null', async () => {
    upstream.script('/v1/text', { status: 200, body: 'plain words' });
    upstream.script('/v1/empty', { status: 204 });
    expect(await client.call(callReq({ path: '/text' }))).toMatchObject({ outcome: 'success', output: 'plain words' });
    const empty = await client.call(callReq({ path: '/empty' }));
    expect(empty.outcome).toBe('success');
    expect(empty.output).toBeNull();
  });

  it('parses an undeclared body that is JSON', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('https://api.example.com').intercept({ path: '/v1/charges', method: 'POST' }).reply(200, '{"n":1}');
    const mocked = createHttpClient({ secret: () => undefined, dispatcher: agent });
    expect(await mocked.call(callReq({ baseUrl: 'https://api.example.com/v1' }))).toMatchObject({ outcome: 'success', output: { n: 1 } });
    await agent.close();
  });

  it('rejects a 2xx declared JSON that does not parse', async () => {
    upstream.script('/v1/charges', { status: 200, body: '{not json', headers: { 'content-type': 'application/json' } });
    const res = await client.call(callReq());
    expect(res.outcome).toBe('invalid_response');
    expect(res.responseBody).toBe('{not json');
  });

  it('reports a 500 with the start of its body', async () => {
    upstream.script('/v1/charges', { status: 500, body: 'x'.repeat(3_000) });
    const res = await client.call(callReq());
    expect(res).toMatchObject({ outcome: 'http_error', retryable: true, httpStatus: 500, error: `HTTP 500: ${'x'.repeat(200)}` });
    expect(res.retryAfterMs).toBeUndefined();
    expect(res.responseBody).toHaveLength(2_048);
  });

  it('reads Retry-After in seconds and as an HTTP date', async () => {
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    upstream.script('/v1/charges', { status: 429, headers: { 'retry-after': '3' } }, { status: 429, headers: { 'retry-after': inFiveSeconds } });
    expect(await client.call(callReq())).toMatchObject({ outcome: 'http_error', retryable: true, httpStatus: 429, retryAfterMs: 3_000 });
    const dated = await client.call(callReq());
    expect(dated.retryAfterMs).toBeGreaterThan(3_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(5_000);
  });

  it('fails a body past the size cap', async () => {
    upstream.script('/v1/charges', { bigBody: 3 * 1_048_576 });
    const res = await client.call(callReq());
    expect(res).toMatchObject({ outcome: 'invalid_response', httpStatus: 200, error: 'response body exceeds 1048576 bytes' });
    expect(res.responseBody).toHaveLength(2_048);
  });
});

describe('failures', () => {
  it('times out a hanging upstream within its budget', async () => {
    upstream.script('/v1/charges', { hang: true });
    const started = Date.now();
    const res = await client.call(callReq({ timeoutMs: 200 }));
    expect(res).toMatchObject({ outcome: 'timeout', error: 'timed out after 200 ms' });
    expect(Date.now() - started).toBeLessThan(200 + TIMING_MARGIN_MS);
  });

  it('times out a body that trickles past the budget', async () => {
    upstream.script('/v1/charges', { slowBody: { chunks: 20, intervalMs: 50 } });
    const started = Date.now();
    const res = await client.call(callReq({ timeoutMs: 300 }));
    expect(res).toMatchObject({ outcome: 'timeout', error: 'timed out after 300 ms' });
    expect(Date.now() - started).toBeLessThan(300 + TIMING_MARGIN_MS);
  });

  it('reports a reset connection as a network error', async () => {
    upstream.script('/v1/charges', { reset: true });
    const res = await client.call(callReq());
    expect(res.outcome).toBe('network_error');
    expect(res.error).toMatch(/^ECONNRESET: /);
  });

  it('reports a refused connection as a network error', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as { port: number };
    probe.close();
    await once(probe, 'close');
    const res = await client.call(callReq({ baseUrl: `http://127.0.0.1:${port}` }));
    expect(res.outcome).toBe('network_error');
    expect(res.error).toMatch(/^ECONNREFUSED: /);
  });

  it('stops when the caller aborts', async () => {
    upstream.script('/v1/charges', { hang: true });
    const controller = new AbortController();
    const pending = client.call(callReq({ signal: controller.signal }));
    await expect.poll(() => upstream.requests.length).toBe(1);
    const abortedAt = Date.now();
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'aborted', retryable: false, error: 'aborted' });
    expect(Date.now() - abortedAt).toBeLessThan(TIMING_MARGIN_MS);
  });
});
