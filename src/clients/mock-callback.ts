// The mock's async provider: after its 202, it POSTs a signed callback (Standard Webhooks, or the
// operation's own HMAC) with the operation's templated body to the job's return address, after a
// delay, or drops it. Timers are tracked so close() cancels the callbacks not sent yet.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { signHmac, signStandardWebhook } from '../callbacks/verify';
import type { CallbackSecret } from '../callbacks/secrets';
import { renderTemplate } from '../json-template';
import type { CallRequest } from './types';

/** Like a provider that settles a refund "soon": long enough to see WAITING_CALLBACK, short enough to wait for. */
const DEFAULT_DELAY_MS: [number, number] = [500, 1_500];
/** A delivery that hangs longer than this is given up; the job then times out as with a lost callback. */
const SEND_TIMEOUT_MS = 10_000;

interface MockCallbacks {
  /**
   * Schedules the callback of `req` (an async operation with a mock callback). Draws `random()`
   * twice: whether it is dropped, then its delay. Returns an error when it cannot be signed.
   */
  schedule(req: CallRequest, random: () => number): string | undefined;
  close(): Promise<void>;
}

export function createMockCallbacks(secretOf: CallbackSecret | undefined): MockCallbacks {
  const timers = new Set<NodeJS.Timeout>();
  const sending = new Set<Promise<unknown>>();

  return {
    schedule(req, random) {
      const config = req.operation.async;
      const mock = req.operation.mock?.callback;
      const address = req.callback;
      if (!config || !mock || !address) return undefined;
      const secret = secretOf?.(req.service, req.operation);
      if (!secret) return `mock callback cannot be signed: the secret of ${req.service.name}.${req.operation.name} is not set`;
      const dropped = random() < (mock.dropRate ?? 0);
      const [min, max] = mock.delayMs ?? DEFAULT_DELAY_MS;
      const delayMs = min + random() * (max - min);
      if (dropped) return undefined;
      let body = renderTemplate(mock.body, { input: req.input, jobId: req.jobId });
      // A provider echoes the id it was given, as the real one would.
      if (config.correlationField && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        body = { ...body, [config.correlationField]: address.correlationId };
      }
      const text = JSON.stringify(body);
      const timer = setTimeout(() => {
        timers.delete(timer);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if ('standardWebhooks' in config.verify) {
          const id = `msg_${randomUUID()}`;
          const timestamp = Math.floor(Date.now() / 1000);
          Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(secret, id, timestamp, text) });
        } else {
          headers[config.verify.hmac.header.toLowerCase()] = signHmac(config.verify.hmac, secret, text);
        }
        const sent = request(address.url, { method: 'POST', headers, body: text, headersTimeout: SEND_TIMEOUT_MS, bodyTimeout: SEND_TIMEOUT_MS })
          .then((res) => res.body.dump())
          // Like a provider whose delivery failed: the job times out.
          .catch(() => undefined);
        sending.add(sent);
        void sent.finally(() => sending.delete(sent));
      }, delayMs);
      timers.add(timer);
      return undefined;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(sending);
    },
  };
}
