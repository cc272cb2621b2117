// A stand-in for an async provider on 127.0.0.1: answers requests 202 (or runs a script first, such
// as delivering the callback before answering, which may answer otherwise), records them, and delivers signed callbacks to the
// return address a request carried, as a real provider would (Standard Webhooks or a plain HMAC).
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
}

export interface Delivery {
  status: number;
  body: any;
}

export interface DeliverOptions {
  secret?: string;
  id?: string;
  /** Seconds since the epoch. @default now */
  timestamp?: number;
  /** Signed instead of the body sent (a signature over another body). */
  signedBody?: string;
  /** Replaces the computed webhook-signature header. */
  signature?: string;
  /** Headers to leave out. */
  omit?: string[];
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  /** HMAC instead of Standard Webhooks: header name, raw key, encoding and prefix. */
  hmac?: { header: string; secret: string; encoding: 'hex' | 'base64'; prefix?: string };
}

export interface Provider {
  url: string;
  requests: ProviderRequest[];
  /** Runs before the 202 of the next requests to `path`; the answer waits for it, and is what it returns if anything. */
  onRequest(path: string, handler: (req: ProviderRequest) => Promise<Delivery | void>): void;
  deliver(address: string, body: unknown, opts?: DeliverOptions): Promise<Delivery>;
  close(): Promise<void>;
}

export const PROVIDER_SECRET = `whsec_${Buffer.from('a provider secret of 32 bytes!!!').toString('base64')}`;

export function signStandard(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export async function startProvider(): Promise<Provider> {
  const requests: ProviderRequest[] = [];
  const handlers = new Map<string, (req: ProviderRequest) => Promise<Delivery | void>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: ProviderRequest = { path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : {} };
      requests.push(recorded);
      const before = handlers.get(recorded.path.split('?')[0] ?? '');
      void (before ? before(recorded) : Promise.resolve())
        .catch(() => undefined)
        .then((answer) => {
          res.writeHead(answer?.status ?? 202, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer ? answer.body : { accepted: true }));
        });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    onRequest: (path, handler) => void handlers.set(path, handler),
    async deliver(address, body, opts = {}) {
      const text = opts.raw ?? JSON.stringify(body);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (opts.hmac) {
        const digest = createHmac('sha256', opts.hmac.secret).update(opts.signedBody ?? text).digest(opts.hmac.encoding);
        headers[opts.hmac.header] = `${opts.hmac.prefix ?? ''}${digest}`;
      } else {
        const id = opts.id ?? `msg_${randomUUID()}`;
        const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
        headers['webhook-id'] = id;
        headers['webhook-timestamp'] = String(timestamp);
        headers['webhook-signature'] = opts.signature ?? signStandard(opts.secret ?? PROVIDER_SECRET, id, timestamp, opts.signedBody ?? text);
      }
      for (const name of opts.omit ?? []) delete headers[name];
      const res = await fetch(address, { method: 'POST', headers, body: text });
      const answer = await res.text();
      let parsed: unknown = answer;
      try {
        parsed = JSON.parse(answer);
      } catch {
        // Not JSON: kept as text for the assertion to show.
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
