// buildTestApp: the whole gateway on port 0, on the test file's own database (or PGlite), with a
// services.yaml of the test's own; gql() over real HTTP and subscribe() over real graphql-ws.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App, type AppOptions } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { GqlResponse } from '../../scripts/gateway-process';
import { createDatabaseUrl } from './db';

export type { GqlResponse };

export interface TestApp {
  app: App;
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  wsUrl: string;
  /** The database on the real server (undefined on PGlite): a second instance may join it. */
  databaseUrl: string | undefined;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  /** callService; returns the new job's id (fails the test on any other result). */
  call(service: string, operation: string, input: unknown, extra?: Record<string, unknown>): Promise<string>;
  /** Polls job(id) until its status is one of `statuses`; returns it with its attempt log. */
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<Record<string, any>>;
  /** Polls job(id), with its attempt log, until `until` holds. */
  waitForJob(id: string, until: (job: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Runs a subscription over graphql-ws until it completes; returns every payload. */
  subscribe<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>[]>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  services: string;
  /** Embedded PGlite even when a server is reachable. */
  pglite?: boolean;
  env?: Record<string, string>;
  /** Retry jitter, for deterministic delays. */
  random?: () => number;
  log?: AppOptions['log'];
  /** Another test app's database, to run a second instance on it; left for that app to drop. */
  databaseUrl?: string;
}

const CALL = `mutation($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } }
}`;
const JOB = `query($id: ID!) {
  job(id: $id) {
    id status attempts maxAttempts lastError output runAt deadline
    attemptLog { attempt outcome httpStatus error durationMs startedAt finishedAt request responseBody }
  }
}`;

export async function buildTestApp(opts: TestAppOptions): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'callgate-test-'));
  const servicesFile = join(dir, 'services.yaml');
  await writeFile(servicesFile, opts.services);
  const target =
    opts.pglite || opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => {} } : await createDatabaseUrl();
  const config = loadConfig({
    DATABASE_URL: target.url,
    CALLGATE_DATA_DIR: 'memory://',
    CALLGATE_SERVICES_FILE: servicesFile,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    WORKER_POLL_INTERVAL_MS: '250',
    CALLGATE_SWEEP_INTERVAL_MS: '200',
    ...opts.env,
  });
  const app = await buildApp(config, { random: opts.random, log: opts.log });
  const { url } = await app.start(0);
  const wsUrl = url.replace(/^http/, 'ws');
  const clients: Client[] = [];

  const t: TestApp = {
    app,
    url,
    wsUrl,
    databaseUrl: target.url,
    async gql(query, variables) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return res.json();
    },
    async call(service, operation, input, extra = {}) {
      const res = await t.gql(CALL, { input: { service, operation, input, ...extra } });
      if (res.data?.callService?.__typename !== 'CallServiceSuccess') throw new Error(`callService: ${JSON.stringify(res)}`);
      return res.data.callService.job.id as string;
    },
    waitForStatus: (id, statuses, timeoutMs) => t.waitForJob(id, (job) => statuses.includes(job.status), timeoutMs),
    async waitForJob(id, until, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = (await t.gql(JOB, { id })).data?.job;
        if (job && until(job)) return job;
        if (Date.now() > deadline) throw new Error(`job ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(job)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    subscribe(query, variables) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      const payloads: GqlResponse[] = [];
      return new Promise((resolve, reject) => {
        client.subscribe(
          { query, variables },
          { next: (p) => void payloads.push(p as GqlResponse), error: reject, complete: () => resolve(payloads as never) },
        );
      });
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await target.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return t;
}
