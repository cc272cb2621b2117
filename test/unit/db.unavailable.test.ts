// Which errors mean "the database cannot be reached right now", and what a client gets for one:
// the worker keeps outcomes only for these, and the API answers them as DATABASE_UNAVAILABLE.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Authenticator } from '../../src/auth/authenticator';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { useApiKeys } from '../../src/server/api-keys';
import { databaseUnavailableError } from '../../src/server/database-unavailable';
import { attachWebSocket } from '../../src/server/ws';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('knows refused, dropped and timed-out connections and a server shutting down or starting up', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', '08006', '08001', '57P01', '57P03', '53300']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
  });

  it('finds the driver’s error behind drizzle’s "Failed query" and GraphQL’s originalError', () => {
    const drizzle = new Error('Failed query: select 1', { cause: withCode('ECONNREFUSED') });
    expect(isDatabaseUnavailable(drizzle)).toBe(true);
    expect(isDatabaseUnavailable(new GraphQLError('x', { originalError: drizzle }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([new Error('a'), withCode('ECONNREFUSED')]))).toBe(true);
  });

  it('leaves bad statements, constraint violations and plain errors alone', () => {
    for (const err of [withCode('42601'), withCode('23505'), withCode('57014'), new Error('boom'), 'text', null, undefined]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(false);
    }
  });

  it('stops at a cycle of causes', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

describe('what a client sees', () => {
  it('gets a typed GraphQL error that keeps the field’s path', () => {
    const err = databaseUnavailableError(new GraphQLError('Failed query', { path: ['callService'] }));
    expect(err.toJSON()).toEqual({ message: 'database unavailable, try again', path: ['callService'], extensions: { code: 'DATABASE_UNAVAILABLE' } });
  });

  it('gets a 503 when its API key cannot be looked up, and any other admission failure still throws', async () => {
    const admit = vi.fn<Authenticator['admit']>().mockRejectedValueOnce(new Error('Failed query', { cause: withCode('ECONNREFUSED') }));
    const { plugin } = useApiKeys({ admit, forget: () => {} });
    const endResponse = vi.fn();
    const request = new Request('http://gateway/graphql', { headers: { authorization: 'Bearer cg_x' } });
    const onRequest = plugin.onRequest as (p: object) => Promise<void>;
    await onRequest({ request, endResponse, fetchAPI: { Response } });
    const res = endResponse.mock.calls[0]?.[0] as Response;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ errors: [{ message: 'database unavailable, try again', extensions: { code: 'DATABASE_UNAVAILABLE' } }] });
    admit.mockRejectedValueOnce(new Error('bug'));
    await expect(onRequest({ request, endResponse, fetchAPI: { Response } })).rejects.toThrow('bug');
  });

  it('gets its WebSocket closed with 1013 (try again later) when its API key cannot be looked up', async () => {
    const admit = vi.fn<Authenticator['admit']>().mockRejectedValue(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const server = createServer();
    // Admission runs before any operation: the Yoga instance is never reached.
    const ws = attachWebSocket(server, {} as Parameters<typeof attachWebSocket>[1], { admit, forget: () => {} });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, 'graphql-transport-ws');
      await once(socket, 'open');
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer cg_x' } }));
      const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
      expect([code, reason.toString()]).toEqual([1013, 'database unavailable, try again']);
    } finally {
      await ws.close();
      server.close();
    }
  });
});
