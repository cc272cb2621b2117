// OAuth2 client credentials against a local token server: one token request however many calls
// start together, a new token only when the old one nears expiry or the upstream refuses it
// (401, then one retry), and neither the token nor the client secret in anything returned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import { TOKEN_REFRESH_MARGIN_MS } from '../../src/clients/oauth2';
import type { UpstreamClient } from '../../src/clients/types';
import { isRetryable } from '../../src/worker/retry-policy';
import { callRequest, startRecordingServer, type RecordingServer } from './outbound-fixtures';

const SECRETS: Record<string, string> = { CLIENT_ID: 'callgate client', CLIENT_SECRET: 'cs-s3cr3t-777' };
const TOKEN_LIFETIME_S = 3_600;

let tokenServer: RecordingServer;
let api: RecordingServer;
let issued: string[];
/** Tokens the API accepts; a token left out of it earns a 401. */
let valid: Set<string>;
let tokenAnswer: { status: number; body: Record<string, unknown> } | undefined;
let clock: number;
let client: UpstreamClient;

beforeEach(async () => {
  issued = [];
  valid = new Set();
  tokenAnswer = undefined;
  clock = Date.parse('2026-01-01T00:00:00Z');
  tokenServer = await startRecordingServer((req, res) => {
    let form = '';
    req.on('data', (chunk: Buffer) => (form += chunk.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (tokenAnswer) {
        res.statusCode = tokenAnswer.status;
        return res.end(JSON.stringify(tokenAnswer.body));
      }
      const token = `tok-${issued.length + 1}-${'x'.repeat(8)}`;
      issued.push(token);
      valid.add(token);
      (req as unknown as { form: string }).form = form;
      // Answer late so that concurrent callers are all waiting on the same request.
      setTimeout(() => res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S })), 50);
    });
  });
  api = await startRecordingServer((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    res.setHeader('content-type', 'application/json');
    if (!valid.has(token)) {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: 'invalid token', got: req.headers.authorization }));
    }
    res.end(JSON.stringify({ ok: true, seen: req.headers.authorization }));
  });
  client = createHttpClient({ secret: (name) => SECRETS[name], now: () => clock });
});
afterEach(async () => {
  await client.close();
  await tokenServer.close();
  await api.close();
});

const oauthCall = (scope?: string) =>
  callRequest({
    baseUrl: api.url,
    auth: { oauth2ClientCredentials: { tokenUrl: `${tokenServer.url}/oauth/token`, clientIdEnv: 'CLIENT_ID', clientSecretEnv: 'CLIENT_SECRET', scope } },
  });

describe('OAuth2 client credentials', () => {
  it('fetches one token for 100 concurrent calls and sends it as a bearer token', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => client.call(oauthCall('charges:write'))));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    expect(issued).toEqual(['tok-1-xxxxxxxx']);
    expect(tokenServer.requests).toHaveLength(1);
    expect(api.requests.every((r) => r.headers.authorization === 'Bearer tok-1-xxxxxxxx')).toBe(true);
    const [tokenRequest] = tokenServer.requests;
    expect(tokenRequest?.method).toBe('POST');
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${Buffer.from('callgate+client:cs-s3cr3t-777').toString('base64')}`);
    expect((tokenRequest as unknown as { form: string }).form).toBe('grant_type=client_credentials&scope=charges%3Awrite');
  });

  it('reuses the token until shortly before it expires, then fetches a new one', async () => {
    await client.call(oauthCall());
    clock += TOKEN_LIFETIME_S * 1_000 - TOKEN_REFRESH_MARGIN_MS - 1;
    await client.call(oauthCall());
    expect(issued).toHaveLength(1);
    clock += 2;
    const renewed = await client.call(oauthCall());
    expect(renewed).toMatchObject({ outcome: 'success' });
    expect(issued).toHaveLength(2);
    expect(api.requests.at(-1)?.headers.authorization).toBe('Bearer tok-2-xxxxxxxx');
  });

  it('on a 401 fetches one new token and retries once, however many calls were refused', async () => {
    await client.call(oauthCall());
    valid.clear(); // the API revokes tok-1 early
    const results = await Promise.all(Array.from({ length: 10 }, () => client.call(oauthCall())));
    expect(results.map((r) => r.outcome)).toEqual(Array(10).fill('success'));
    expect(issued).toHaveLength(2);
    expect(api.requests.filter((r) => r.headers.authorization === 'Bearer tok-2-xxxxxxxx')).toHaveLength(10);
  });

  it('gives up after one retry when the new token is refused too', async () => {
    await client.call(oauthCall());
    valid.clear();
    tokenAnswer = { status: 200, body: { access_token: 'tok-never-valid', expires_in: 60 } };
    const result = await client.call(oauthCall());
    expect(result).toMatchObject({ outcome: 'http_error', httpStatus: 401 });
    expect(api.requests).toHaveLength(3);
    expect(JSON.stringify(result)).not.toContain('tok-');
  });

  it('reports a refused client as a non-retryable failure, a struggling token server as a retryable one', async () => {
    tokenAnswer = { status: 401, body: { error: 'invalid_client', error_description: `bad secret ${SECRETS.CLIENT_SECRET}` } };
    const refused = await client.call(oauthCall());
    expect(refused).toMatchObject({ outcome: 'http_error', error: `OAuth2 token request to ${tokenServer.url}/oauth/token failed: HTTP 401 (invalid_client)` });
    expect(isRetryable(refused)).toBe(false);
    tokenAnswer = { status: 503, body: {} };
    const struggling = await client.call(oauthCall());
    expect(struggling.outcome).toBe('network_error');
    expect(isRetryable(struggling)).toBe(true);
    expect(api.requests).toHaveLength(0);
    expect(JSON.stringify([refused, struggling])).not.toContain(SECRETS.CLIENT_SECRET);
  });

  it('never returns the token or the client secret, even when the upstream echoes them', async () => {
    await client.call(oauthCall());
    valid.clear();
    const results = [await client.call(oauthCall()), await client.call(oauthCall())];
    const returned = JSON.stringify(results);
    for (const secret of [...issued, SECRETS.CLIENT_SECRET!]) expect(returned).not.toContain(secret);
    expect(returned).toContain('[REDACTED]');
    expect(results[0]?.request.headers.authorization).toBe('[redacted]');
  });
});
