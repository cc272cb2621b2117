// graphql-ws errors stay per operation: a broken `subscribe` gets an `error` message for its own id
// while the socket and the other subscriptions on it carry on, and nothing lands on stderr.
import { fileURLToPath } from 'node:url';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createDatabaseUrl } from '../helpers/db';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: slow
        mock: { latencyMs: [1500, 1500] }   # long enough to send the broken operations while it runs
`;
const WATCH = `subscription Watch($id: ID!) { jobUpdated(id: $id) { id status } }`;
const SERVICES_FILE = fileURLToPath(new URL('../../services.yaml', import.meta.url));

let t: TestApp | undefined;
let stderr: MockInstance;
let consoleError: MockInstance;

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES });
});
afterAll(async () => {
  await t?.stop();
});
beforeEach(() => {
  stderr = vi.spyOn(process.stderr, 'write');
  // vitest routes console.* around process.stderr, so watch both.
  consoleError = vi.spyOn(console, 'error');
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs one operation on `client` and settles with its payloads, or rejects with what the server refused. */
function run(client: Client, query: string, variables?: Record<string, unknown>) {
  const payloads: Record<string, any>[] = [];
  return new Promise<Record<string, any>[]>((resolve, reject) => {
    client.subscribe(
      { query, variables },
      { next: (p) => void payloads.push(p), error: reject, complete: () => resolve(payloads) },
    );
  });
}

describe('graphql-ws errors', () => {
  it('answers a syntax error and a validation error per operation; the socket and the running subscription stay up', async () => {
    const closes: unknown[] = [];
    let connects = 0;
    const client = createClient({
      url: t!.wsUrl,
      retryAttempts: 0,
      on: { connected: () => void connects++, closed: (event) => void closes.push(event) },
    });
    try {
      const id = await t!.call('mock', 'slow', {});
      const updates: string[] = [];
      const watched = new Promise<string[]>((resolve, reject) => {
        client.subscribe(
          { query: WATCH, variables: { id } },
          { next: (p) => void updates.push((p.data as { jobUpdated: { status: string } }).jobUpdated.status), error: reject, complete: () => resolve(updates) },
        );
      });

      const syntax = (await run(client, 'subscription { jobUpdated(id: "x") { status }').catch((e: unknown) => e)) as GraphQLFormattedError[];
      expect(syntax).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Syntax Error/) })]);

      const invalid = (await run(client, WATCH.replace('status', 'nope'), { id }).catch((e: unknown) => e)) as GraphQLFormattedError[];
      expect(invalid).toEqual([expect.objectContaining({ message: 'Cannot query field "nope" on type "Job".' })]);
      expect(invalid[0]?.extensions?.http).toBeUndefined();
      expect(invalid[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

      // Both errors came while the job was still running: the first subscription had not ended yet.
      expect(updates.at(-1)).not.toBe('SUCCEEDED');
      expect((await watched).at(-1)).toBe('SUCCEEDED');
      expect(closes).toEqual([]);
      expect(connects).toBe(1);
      expect(stderr).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await client.dispose();
    }
  });

  it('refuses a port already in use with the listen error alone, nothing on stderr', async () => {
    const port = Number(new URL(t!.url).port);
    const target = await createDatabaseUrl();
    const config = loadConfig({
      DATABASE_URL: target.url,
      CALLGATE_DATA_DIR: 'memory://',
      CALLGATE_SERVICES_FILE: SERVICES_FILE,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '0',
    });
    const second = await buildApp(config);
    try {
      await expect(second.start(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(stderr).not.toHaveBeenCalled();
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await second.stop();
      await target.drop();
    }
  });

  it('refuses an upgrade on another path', async () => {
    const socket = new WebSocket(t!.wsUrl.replace(/\/graphql$/, '/elsewhere'), 'graphql-transport-ws');
    const outcome = await new Promise((resolve) => {
      socket.onopen = () => resolve('open');
      socket.onerror = () => resolve('refused');
    });
    expect(outcome).toBe('refused');
  });

  // Last: it stops the shared gateway.
  it('closes open sockets with 1001 (going away) at stop', async () => {
    const codes: number[] = [];
    const client = createClient({
      url: t!.wsUrl,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => {},
      on: { closed: (event) => void codes.push((event as CloseEvent).code) },
    });
    try {
      await new Promise((resolve) => client.on('connected', resolve));
      const app = t!;
      t = undefined;
      await app.stop();
      await vi.waitFor(() => expect(codes).toEqual([1001]));
    } finally {
      await client.dispose();
    }
  });
});
