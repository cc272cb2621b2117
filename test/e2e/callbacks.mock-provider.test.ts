// The mock kind as an async provider: the shipped services.yaml's payments.refund runs on the
// embedded database with nothing else (202, then a signed callback to the return address), and a
// mock can also drop its callback (the job times out) or report a failure with a provider HMAC.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';

const apps: TestApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
});

describe('the mock async provider', () => {
  it("runs the shipped services.yaml's payments.refund end to end on the embedded database", async () => {
    const t = await buildTestApp({ pglite: true, services: await readFile(new URL('../../services.yaml', import.meta.url), 'utf8') });
    apps.push(t);
    const id = await t.call('payments', 'refund', { chargeId: 'ch_1', amount: 500 });
    const steps = t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status callback { receivedAt } attemptLog { outcome } } }`, { id });
    const done = await t.waitForStatus(id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT']);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ id: `re_${id}`, chargeId: 'ch_1', amount: 500 });
    expect(done.attemptLog.map((a: { outcome: string; httpStatus: number | null }) => [a.outcome, a.httpStatus])).toEqual([
      ['ACCEPTED', 202],
      ['CALLBACK', null],
    ]);
    const events = (await steps).map((p) => p.data?.jobUpdated);
    expect(events.map((e) => e.status)).toContain('WAITING_CALLBACK');
    // Each event reads the job as it is then, not what the subscription's first event loaded.
    const last = events.at(-1);
    expect(last.status).toBe('SUCCEEDED');
    expect(last.callback.receivedAt).not.toBeNull();
    expect(last.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['ACCEPTED', 'CALLBACK']);
  });

  it('drops its callback when told (the job times out) and signs a failure with a provider HMAC', async () => {
    const result = '{ status: /state, succeededWhen: [done], failedWhen: [failed], error: /why }';
    const t = await buildTestApp({
      env: { MAIL_SECRET: 'mail-secret' },
      services: `
services:
  - name: mail
    kind: mock
    operations:
      - name: silent
        async:
          callbackHeader: X-Callback
          timeout: 2s
          verify: { standardWebhooks: { secretEnv: NEVER_SET } }
          result: ${result}
        mock: { callback: { dropRate: 1, body: { state: done } } }
      - name: bounce
        async:
          callbackField: cb
          timeout: 1m
          verify: { hmac: { header: X-Mail-Signature, secretEnv: MAIL_SECRET, algorithm: sha256, encoding: base64 } }
          result: ${result}
        mock: { callback: { delayMs: [0, 50], body: { state: failed, why: "mailbox {{input.to}} does not exist" } } }
`,
    });
    apps.push(t);
    const silent = await t.call('mail', 'silent', {});
    const bounced = await t.call('mail', 'bounce', { to: 'nobody@example.com' });
    const failed = await t.waitForStatus(bounced, ['FAILED', 'SUCCEEDED']);
    expect(failed.lastError).toBe('callback status "failed": mailbox nobody@example.com does not exist');
    const timedOut = await t.waitForStatus(silent, ['TIMED_OUT', 'SUCCEEDED', 'FAILED'], 10_000);
    expect(timedOut.status).toBe('TIMED_OUT');
    expect(timedOut.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['ACCEPTED', 'TIMED_OUT']);
  });
});
