// The typed client in client/ against the whole gateway: a call over HTTP, its job followed over
// graphql-ws to the end, and an expected failure as a typed result, all through generated documents.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallgateClient, type CallgateClient } from '../../client';
import { buildTestApp, type TestApp } from '../helpers/app';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [5, 20] }
`;

describe('typed client', () => {
  let testApp: TestApp;
  let client: CallgateClient;

  beforeAll(async () => {
    testApp = await buildTestApp({ services: SERVICES });
    client = createCallgateClient({ url: testApp.url, webSocketImpl: WebSocket });
  });

  afterAll(async () => {
    await client?.close();
    await testApp?.stop();
  });

  it('calls a service and follows the job until it succeeds', async () => {
    const result = await client.callService({ service: 'mock', operation: 'echo', input: { hi: 1 } });
    if (result.__typename !== 'CallServiceSuccess') throw new Error(`expected a job, got ${result.__typename}`);
    expect(result.deduplicated).toBe(false);

    const updates = [];
    for await (const job of client.watchJob(result.job.id)) updates.push(job);

    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => u.id === result.job.id)).toBe(true);
    const last = updates.at(-1);
    expect(last).toMatchObject({ status: 'SUCCEEDED', output: { echo: { hi: 1 } }, lastError: null });
    expect(last?.completedAt).toEqual(expect.any(String));

    const job = await client.job(result.job.id);
    expect(job).toMatchObject({ service: 'mock', operation: 'echo', status: 'SUCCEEDED', input: { hi: 1 } });
  });

  it('throws the GraphQL error when a job cannot be watched', async () => {
    const watch = async () => {
      for await (const job of client.watchJob('00000000-0000-0000-0000-000000000000')) expect.unreachable(`got ${job.status}`);
    };
    await expect(watch()).rejects.toThrow(/not found/);
  });

  it('returns an unknown service as a typed error', async () => {
    const result = await client.callService({ service: 'nope', operation: 'echo', input: {} });
    expect(result.__typename).toBe('UnknownServiceError');
    if (result.__typename !== 'UnknownServiceError') return;
    expect(result.message).toMatch(/nope/);
  });
});
