// Secrets named by a service's auth config reach the upstream and nowhere else: not the attempt
// log in the database, not the logs, not any GraphQL answer; OAuth2's issued tokens included,
// even when the upstream echoes the Authorization header back.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobAttempts, jobs } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

const BEARER = 'sk_live_bearer_7f3a9c1e5d';
const API_KEY = 'key_91b2c3d4e5f6a7b8';
const PASSWORD = 'hunter2-but-longer-9x';
const CLIENT_ID = 'ledger-client-4411';
const CLIENT_SECRET = 'cs-oauth-s3cr3t-5150';
const CLIENT_BASIC = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
/** Issued in turn by the token server: the second replaces the first after the upstream's 401. */
const TOKENS = ['at-ledger-first-9d8c7b6a', 'at-ledger-second-1e2f3a4b'];
const SECRETS = [BEARER, API_KEY, PASSWORD, Buffer.from(`svc-user:${PASSWORD}`).toString('base64'), CLIENT_ID, CLIENT_SECRET, CLIENT_BASIC, ...TOKENS];

let upstream: Upstream;
let t: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(chunk.toString()), done()) });
  t = await buildTestApp({
    log: pino({ level: 'trace' }, sink),
    env: { PAY_TOKEN: BEARER, MAIL_KEY: API_KEY, HOOK_USER: 'svc-user', HOOK_PASSWORD: PASSWORD, LEDGER_ID: CLIENT_ID, LEDGER_SECRET: CLIENT_SECRET },
    services: `
services:
  - { name: pay, kind: http, baseUrl: "${upstream.url}", auth: { bearerTokenEnv: PAY_TOKEN }, retry: { maxAttempts: 2, initialDelayMs: 10 }, operations: [{ name: charge, path: /pay }] }
  - { name: mail, kind: http, baseUrl: "${upstream.url}", auth: { apiKeyHeader: { name: X-Api-Key, valueEnv: MAIL_KEY } }, operations: [{ name: send, path: /mail }] }
  - { name: hook, kind: http, baseUrl: "${upstream.url}", auth: { basic: { usernameEnv: HOOK_USER, passwordEnv: HOOK_PASSWORD } }, retry: { maxAttempts: 1 }, operations: [{ name: fire, path: /hook }] }
  - { name: ledger, kind: http, baseUrl: "${upstream.url}", auth: { oauth2ClientCredentials: { tokenUrl: "${upstream.url}/oauth/token", clientIdEnv: LEDGER_ID, clientSecretEnv: LEDGER_SECRET } }, retry: { maxAttempts: 2, initialDelayMs: 10 }, operations: [{ name: post, path: /ledger }] }
  - { name: vault, kind: http, baseUrl: "${upstream.url}", auth: { oauth2ClientCredentials: { tokenUrl: "${upstream.url}/oauth/refuse", clientIdEnv: LEDGER_ID, clientSecretEnv: LEDGER_SECRET } }, retry: { maxAttempts: 1 }, operations: [{ name: open, path: /vault }] }
`,
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

it('sends each kind of credential upstream but never stores, logs or returns it', async () => {
  upstream.script('/pay', { status: 500, body: 'try again' }, { status: 200, body: { paid: true } });
  upstream.script('/hook', { status: 401, body: 'bad credentials' });
  const token = (access_token: string) => ({ status: 200, body: { access_token, token_type: 'Bearer', expires_in: 3600 } });
  upstream.script('/oauth/token', ...TOKENS.map(token));
  // The first token is refused (renewed, sent again), the second earns a 500, then a 200: each
  // answer echoes the Authorization header it got, into the stored responseBody and output.
  upstream.script('/ledger', { echoHeaders: 401 }, { echoHeaders: 500 }, { echoHeaders: 200 });
  // A token server that refuses the client, echoing its Basic credentials.
  upstream.script('/oauth/refuse', { echoHeaders: 401 });
  const ids = await Promise.all([
    t.call('pay', 'charge', { amount: 1 }),
    t.call('mail', 'send', { to: 'a@b.c' }),
    t.call('hook', 'fire', {}),
    t.call('ledger', 'post', { amount: 2 }),
    t.call('vault', 'open', {}),
  ]);
  const finished = await Promise.all(ids.map((id) => t.waitForStatus(id, ['SUCCEEDED', 'FAILED'])));
  expect(finished.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED', 'FAILED']);

  // The upstream did get them.
  const headers = (path: string) => upstream.requests.find((r) => r.path === path)?.headers;
  expect(headers('/pay')?.authorization).toBe(`Bearer ${BEARER}`);
  expect(headers('/mail')?.['x-api-key']).toBe(API_KEY);
  expect(headers('/hook')?.authorization).toBe(`Basic ${SECRETS[3]}`);
  const sent = (path: string) => upstream.requests.filter((r) => r.path === path).map((r) => r.headers.authorization);
  expect(sent('/oauth/token')).toEqual([`Basic ${CLIENT_BASIC}`, `Basic ${CLIENT_BASIC}`]);
  expect(sent('/oauth/refuse')).toEqual([`Basic ${CLIENT_BASIC}`]);
  expect(sent('/ledger')).toEqual([`Bearer ${TOKENS[0]}`, `Bearer ${TOKENS[1]}`, `Bearer ${TOKENS[1]}`]);
  expect(sent('/vault')).toEqual([]);
  // The echoes were stored, with the token scrubbed out of them.
  const ledgerAttempts = finished[3]!.attemptLog;
  expect(ledgerAttempts.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([500, 200]);
  expect(ledgerAttempts[0].responseBody).toContain('"authorization":"Bearer [REDACTED]"');
  expect(finished[3]!.output).toMatchObject({ headers: { authorization: 'Bearer [REDACTED]' } });
  expect(finished[4]!.lastError).toBe(`OAuth2 token request to ${upstream.url}/oauth/refuse failed: HTTP 401`);

  // The attempt log redacts them, and says so.
  const attempts = await t.app.database.db.select().from(jobAttempts);
  expect(attempts).toHaveLength(7);
  expect(JSON.stringify(attempts.map((a) => a.request))).toMatch(/\[redacted\]/);
  const stored = JSON.stringify([attempts, await t.app.database.db.select().from(jobs)]);

  // GraphQL: jobs with their attempt logs, the attempt log, and the service registry.
  const answers = JSON.stringify([
    finished,
    await t.gql(`{ attemptLog(first: 50) { edges { node { request error responseBody } } } }`),
    await t.gql(`{ services { name auth baseUrl operations { name path } } }`),
  ]);
  expect(answers).toMatch(/redacted/);

  const logs = logLines.join('');
  expect(logs).toMatch(/attempt finished/);
  for (const secret of SECRETS) {
    expect(stored).not.toContain(secret);
    expect(answers).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
});
