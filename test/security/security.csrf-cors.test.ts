// Cross-site requests: a form-encoded, multipart or text/plain POST of callService (what a page on
// another site can send through a visitor's browser without a preflight) is refused and creates
// no job; CORS is granted to configured origins only, never to a foreign one, never with
// credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { CALL, SERVICES, callInput, jobCount, rawPost } from './hostile-fixtures';

const ALLOWED = 'https://ops.example.com';
const FOREIGN = 'https://evil.example';
const MUTATION = 'mutation { callService(input: { service: "mock", operation: "echo", input: { n: 1 } }) { __typename } }';

let t: TestApp;
let open: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES, env: { CALLGATE_CORS_ORIGINS: ALLOWED } });
  open = await buildTestApp({ services: SERVICES, pglite: true });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await open?.stop();
});

describe('CSRF: only JSON POSTs are served', () => {
  it('refuses a form-encoded callService with 415 and creates no job', async () => {
    const before = await jobCount(t);
    const a = await rawPost(t, new URLSearchParams({ query: MUTATION }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(a.status).toBe(415);
    expect(a.text).toMatch(/POST needs Content-Type: application\/json, not application\/x-www-form-urlencoded/);
    expect(await jobCount(t)).toBe(before);
  });

  it('refuses a multipart callService with 415 and creates no job', async () => {
    const before = await jobCount(t);
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: MUTATION }));
    form.set('map', '{}');
    const a = await rawPost(t, form);
    expect(a.status).toBe(415);
    expect(a.text).toMatch(/not multipart\/form-data/);
    expect(await jobCount(t)).toBe(before);
  });

  it('refuses a text/plain callService (what a fetch with mode no-cors sends) and a POST without a content type', async () => {
    const before = await jobCount(t);
    expect((await rawPost(t, JSON.stringify({ query: MUTATION }), { 'content-type': 'text/plain' })).status).toBe(415);
    const bare = await fetch(t.url, { method: 'POST', body: new Blob([JSON.stringify({ query: MUTATION })]) });
    expect(bare.status).toBe(415);
    expect(await jobCount(t)).toBe(before);
  });

  it('still serves a JSON POST (with a charset) and refuses a mutation over GET', async () => {
    const before = await jobCount(t);
    const ok = await rawPost(t, JSON.stringify({ query: CALL, variables: callInput({ n: 1 }) }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(200);
    expect(await jobCount(t)).toBe(before + 1);
    const get = await fetch(`${t.url}?query=${encodeURIComponent(MUTATION)}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(405);
    expect(await jobCount(t)).toBe(before + 1);
  });
});

describe('CORS: an allowlist, no credentials', () => {
  const preflight = (app: TestApp, origin: string) =>
    fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });

  it('grants nothing to a foreign Origin, on the preflight or the request', async () => {
    const pre = await preflight(t, FOREIGN);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await rawPost(t, JSON.stringify({ query: '{ queue { running } }' }), { 'content-type': 'application/json', origin: FOREIGN });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('grants a configured origin itself, without credentials', async () => {
    const pre = await preflight(t, ALLOWED);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await rawPost(t, JSON.stringify({ query: '{ queue { running } }' }), { 'content-type': 'application/json', origin: ALLOWED });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('grants no origin at all by default (same origin only)', async () => {
    for (const origin of [FOREIGN, ALLOWED, 'null']) {
      const pre = await preflight(open, origin);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
