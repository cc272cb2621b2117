// Secrets named by a service's auth config reach the upstream and nowhere else: not the attempt
// log in the database, not the logs, not any GraphQL answer.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobAttempts, jobs } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { startUpstream, type Upstream } from '../helpers/upstream';

const BEARER = 'sk_live_bearer_7f3a9c1e5d';
const API_KEY = 'key_91b2c3d4e5f6a7b8';
const PASSWORD = 'hunter2-but-longer-9x';
const SECRETS = [BEARER, API_KEY, PASSWORD, Buffer.from(`svc-user:${PASSWORD}`).toString('base64')];

let upstream: Upstream;
let t: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(chunk.toString()), done()) });
  t = await buildTestApp({
    log: pino({ level: 'trace' }, sink),
    env: { PAY_TOKEN: BEARER, MAIL_KEY: API_KEY, HOOK_USER: 'svc-user', HOOK_PASSWORD: PASSWORD },
    services: `
services:
  - { name: pay, kind: http, baseUrl: "${upstream.url}", auth: { bearerTokenEnv: PAY_TOKEN }, retry: { maxAttempts: 2, initialDelayMs: 10 }, operations: [{ name: charge, path: /pay }] }
  - { name: mail, kind: http, baseUrl: "${upstream.url}", auth: { apiKeyHeader: { name: X-Api-Key, valueEnv: MAIL_KEY } }, operations: [{ name: send, path: /mail }] }
  - { name: hook, kind: http, baseUrl: "${upstream.url}", auth: { basic: { usernameEnv: HOOK_USER, passwordEnv: HOOK_PASSWORD } }, retry: { maxAttempts: 1 }, operations: [{ name: fire, path: /hook }] }
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
  const ids = await Promise.all([t.call('pay', 'charge', { amount: 1 }), t.call('mail', 'send', { to: 'a@b.c' }), t.call('hook', 'fire', {})]);
  const finished = await Promise.all(ids.map((id) => t.waitForStatus(id, ['SUCCEEDED', 'FAILED'])));
  expect(finished.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);

  // The upstream did get them.
  const headers = (path: string) => upstream.requests.find((r) => r.path === path)?.headers;
  expect(headers('/pay')?.authorization).toBe(`Bearer ${BEARER}`);
  expect(headers('/mail')?.['x-api-key']).toBe(API_KEY);
  expect(headers('/hook')?.authorization).toBe(`Basic ${SECRETS[3]}`);

  // The attempt log redacts them, and says so.
  const attempts = await t.app.database.db.select().from(jobAttempts);
  expect(attempts).toHaveLength(4);
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
