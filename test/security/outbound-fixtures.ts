// Shared by the outbound security tests: a loopback server that counts connections (proof that
// nothing reached it), a request builder, and a run through a real breaker to show it is untouched.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { CallRequest, CallResult, UpstreamClient } from '../../src/clients/types';
import type { AuthConfig, HttpMethod, ServiceDef, ServiceSource } from '../../src/registry/types';
import { createBreakers } from '../../src/worker/breakers';
import { isRetryable } from '../../src/worker/retry-policy';

export interface RecordingServer {
  port: number;
  url: string;
  /** TCP connections accepted, whether or not a request followed. */
  readonly connections: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** Answers every request with `handler` (default: 200 `{ ok: true }`) on `host`. */
export async function startRecordingServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{"ok":true}'),
  host = '127.0.0.1',
): Promise<RecordingServer> {
  let connections = 0;
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on('connection', () => (connections += 1));
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get connections() {
      return connections;
    },
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface RequestShape {
  baseUrl: string;
  method?: HttpMethod;
  path?: string;
  input?: unknown;
  auth?: AuthConfig;
  source?: ServiceSource;
  idempotencyKey?: string;
}

export function callRequest(shape: RequestShape): CallRequest {
  const { baseUrl, method = 'POST', path = '/', input = {}, auth, source, idempotencyKey = 'idem-1' } = shape;
  const operation = { name: 'op', method, path };
  const service: ServiceDef = { name: 'svc', kind: 'http', source, baseUrl, auth, timeoutMs: 5_000, operations: [operation] };
  return { service, operation, jobId: 'job-1', input, idempotencyKey, timeoutMs: 5_000 };
}

/**
 * Runs `times` calls through a breaker that would open on the first counted failure and returns
 * the results with the breaker's snapshot afterwards.
 */
export async function throughBreaker(client: UpstreamClient, req: CallRequest, times = 3) {
  const service: ServiceDef = { ...req.service, breaker: { errorThresholdPercentage: 1, volumeThreshold: 1, resetTimeoutMs: 60_000 } };
  const breakers = createBreakers({ log: pino({ level: 'silent' }) });
  try {
    const results: CallResult[] = [];
    for (let i = 0; i < times; i++) {
      const ran = await breakers.run(service, req.operation, () => client.call(req));
      if (ran.kind !== 'called') throw new Error('the breaker opened');
      results.push(ran.result);
    }
    return { results, breaker: breakers.snapshot(service.name, req.operation.name) };
  } finally {
    breakers.shutdown();
  }
}

/** Refused before sending: a clear error, not retried, and not counted by the breaker. */
export async function expectRefusedUnsent(client: UpstreamClient, req: CallRequest, error: string | RegExp) {
  const { results, breaker } = await throughBreaker(client, req);
  for (const result of results) {
    expect(result.outcome).toBe('http_error');
    expect(result.httpStatus).toBeUndefined();
    expect(result.error).toMatch(error);
    expect(isRetryable(result)).toBe(false);
  }
  expect(breaker).toMatchObject({ state: 'closed', failures: 0 });
}
