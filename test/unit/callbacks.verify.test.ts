// Callback signatures (Standard Webhooks and a provider's HMAC), result mapping and the `async:`
// block's validation: the pure parts of async operations.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mapCallbackResult, readPointer } from '../../src/callbacks/result';
import { signStandardWebhook, verifyCallback } from '../../src/callbacks/verify';
import { parseServices } from '../../src/registry';

// The Standard Webhooks spec's own example (and its reference libraries' test vector).
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const sw = { standardWebhooks: { secretEnv: 'S' } };
const at = SPEC.timestamp * 1000;
const headers = (over: Record<string, string | undefined> = {}) => ({
  'webhook-id': SPEC.id,
  'webhook-timestamp': String(SPEC.timestamp),
  'webhook-signature': SPEC.signature,
  ...over,
});

describe('Standard Webhooks', () => {
  it('signs the spec example as the spec does', () => {
    expect(signStandardWebhook(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it('accepts the spec example, also among several signatures, and returns its webhook-id', () => {
    expect(verifyCallback(sw, SPEC.secret, headers(), SPEC.body, at)).toEqual({ ok: true, webhookId: SPEC.id });
    const several = `v1,bm90IGl0 v2,abc ${SPEC.signature}`;
    expect(verifyCallback(sw, SPEC.secret, headers({ 'webhook-signature': several }), SPEC.body, at).ok).toBe(true);
  });

  it('refuses another body, another id, another secret and a signature without v1', () => {
    expect(verifyCallback(sw, SPEC.secret, headers(), '{"test": 2432232315}', at)).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback(sw, SPEC.secret, headers({ 'webhook-id': 'msg_other' }), SPEC.body, at)).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback(sw, 'whsec_c2VjcmV0', headers(), SPEC.body, at)).toMatchObject({ ok: false, status: 401 });
    const bare = SPEC.signature.slice(3);
    expect(verifyCallback(sw, SPEC.secret, headers({ 'webhook-signature': bare }), SPEC.body, at)).toMatchObject({ ok: false });
  });

  it('allows 5 minutes of clock difference either way, no more', () => {
    for (const skew of [-299_000, 299_000]) expect(verifyCallback(sw, SPEC.secret, headers(), SPEC.body, at + skew).ok).toBe(true);
    for (const skew of [-301_000, 301_000]) {
      expect(verifyCallback(sw, SPEC.secret, headers(), SPEC.body, at + skew)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('answers 400 for missing or malformed headers', () => {
    for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(verifyCallback(sw, SPEC.secret, headers({ [missing]: undefined }), SPEC.body, at)).toMatchObject({ ok: false, status: 400 });
    }
    expect(verifyCallback(sw, SPEC.secret, headers({ 'webhook-timestamp': '1e9' }), SPEC.body, at)).toMatchObject({ ok: false, status: 400 });
    const twice = { ...headers(), 'webhook-id': [SPEC.id, SPEC.id] };
    expect(verifyCallback(sw, SPEC.secret, twice, SPEC.body, at)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('provider HMAC', () => {
  const hmac = { hmac: { header: 'X-Signature', secretEnv: 'S', algorithm: 'sha256' as const, encoding: 'hex' as const, prefix: 'sha256=' } };
  const body = '{"status":"delivered"}';
  const digest = createHmac('sha256', 'provider-secret').update(body).digest('hex');

  it('accepts the prefixed digest of the raw body and nothing else', () => {
    expect(verifyCallback(hmac, 'provider-secret', { 'x-signature': `sha256=${digest}` }, body).ok).toBe(true);
    expect(verifyCallback(hmac, 'provider-secret', { 'x-signature': digest }, body)).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback(hmac, 'other', { 'x-signature': `sha256=${digest}` }, body)).toMatchObject({ ok: false, status: 401 });
    expect(verifyCallback(hmac, 'provider-secret', {}, body)).toMatchObject({ ok: false, status: 400 });
  });

  it('takes a hex digest in either case, and still nothing else', () => {
    expect(verifyCallback(hmac, 'provider-secret', { 'x-signature': `sha256=${digest.toUpperCase()}` }, body).ok).toBe(true);
    expect(verifyCallback(hmac, 'other', { 'x-signature': `sha256=${digest.toUpperCase()}` }, body)).toMatchObject({ ok: false, status: 401 });
  });

  it('reads base64 digests', () => {
    const b64 = { hmac: { ...hmac.hmac, encoding: 'base64' as const, prefix: undefined } };
    const sig = createHmac('sha256', 'k').update(body).digest('base64');
    expect(verifyCallback(b64, 'k', { 'x-signature': sig }, body).ok).toBe(true);
  });
});

describe('mapCallbackResult', () => {
  const map = { status: '/status', succeededWhen: ['succeeded', 'delivered'], failedWhen: ['failed'], output: '/data', error: '/reason' };

  it('maps success to the output pointer, failure to the error, anything else to progress', () => {
    expect(mapCallbackResult({ status: 'delivered', data: { id: 7 } }, map)).toEqual({ kind: 'succeeded', output: { id: 7 } });
    expect(mapCallbackResult({ status: 'failed', reason: 'card expired' }, map)).toEqual({ kind: 'failed', error: 'callback status "failed": card expired' });
    expect(mapCallbackResult({ status: 'processing' }, map)).toEqual({ kind: 'progress', status: 'processing' });
    expect(mapCallbackResult([1, 2], map)).toEqual({ kind: 'progress', status: '(none)' });
    expect(mapCallbackResult({ status: 'succeeded' }, { ...map, output: undefined })).toEqual({ kind: 'succeeded', output: { status: 'succeeded' } });
  });

  it('reads RFC 6901 pointers over own properties only', () => {
    const doc = { 'a/b': { '~x': [10, 20] } };
    expect(readPointer(doc, '/a~1b/~0x/1')).toBe(20);
    expect(readPointer(doc, '/a~1b/~0x/01')).toBeUndefined();
    expect(readPointer({}, '/__proto__')).toBeUndefined();
    expect(readPointer({}, '/constructor')).toBeUndefined();
    expect(readPointer(doc, '')).toBe(doc);
  });
});

describe('the async block in services.yaml', () => {
  const service = (async: string, method = 'POST') => `
services:
  - name: pay
    kind: mock
    operations:
      - name: refund
        method: ${method}
        async: ${async}`;
  const ok = `{ correlationField: rid, callbackField: cb, timeout: 5m, verify: { standardWebhooks: { secretEnv: PAY_SECRET } },
          result: { status: /status, succeededWhen: [ok], failedWhen: [bad], output: /data } }`;

  it('accepts a complete block and keeps it on the operation', () => {
    const [def] = parseServices(service(ok));
    expect(def?.operations[0]?.async).toMatchObject({ callbackField: 'cb', timeout: '5m', result: { output: '/data' } });
  });

  it('names each mistake', () => {
    const bad = (text: string, method?: string) => () => parseServices(service(text, method));
    expect(bad(ok.replace('timeout: 5m', 'timeout: soon'))).toThrow(/field "async.timeout": "soon" is not a duration/);
    expect(bad(ok.replace('timeout: 5m', 'timeout: 0s'))).toThrow(/field "async.timeout"/);
    expect(bad(ok.replace('callbackField: cb', 'callbackHeader: X-Cb, callbackField: cb'))).toThrow(/exactly one of callbackField and callbackHeader/);
    expect(bad(ok.replace('callbackField: cb,', ''))).toThrow(/exactly one of callbackField and callbackHeader/);
    expect(bad(ok.replace('status: /status', 'status: status'))).toThrow(/field "async.result.status": must be a JSON Pointer/);
    expect(bad(ok.replace('failedWhen: [bad]', 'failedWhen: [ok]'))).toThrow(/"ok" is also in succeededWhen/);
    expect(bad(ok.replace('{ standardWebhooks: { secretEnv: PAY_SECRET } }', '{ hmac: { header: X-Sig, secretEnv: S, algorithm: sha1, encoding: hex } }'))).toThrow(
      /field "async.verify"/,
    );
    expect(bad(ok, 'GET')).toThrow(/need a body: use POST, PUT or PATCH, not GET/);
    // A header the gateway sets itself (or the transport's) cannot carry the return address.
    for (const name of ['Idempotency-Key', 'Content-Type', 'Host', 'Transfer-Encoding', 'Authorization']) {
      expect(bad(ok.replace('callbackField: cb', `callbackHeader: ${name}`))).toThrow(/field "async.callbackHeader": names a header set by the gateway/);
    }
  });

  it('accepts a provider HMAC and a header for the return address', () => {
    const hmac = ok
      .replace('{ standardWebhooks: { secretEnv: PAY_SECRET } }', '{ hmac: { header: X-Sig, secretEnv: S, algorithm: sha256, encoding: base64, prefix: "sha256=" } }')
      .replace('correlationField: rid, callbackField: cb', 'callbackHeader: X-Callback-Url');
    expect(parseServices(service(hmac, 'GET'))[0]?.operations[0]?.async?.verify).toMatchObject({ hmac: { encoding: 'base64' } });
  });

  it('refuses a mock callback on an operation that is not async', () => {
    const yaml = 'services: [{ name: m, kind: mock, operations: [{ name: a, mock: { callback: { body: {} } } }] }]';
    expect(() => parseServices(yaml)).toThrow(/field "mock.callback": applies only to an async operation/);
  });
});
