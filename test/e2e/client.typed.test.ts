// The typed client in client/ against the whole gateway: a call over HTTP, its job followed over
// graphql-ws (the global WebSocket) to the end, an expected failure as a typed result, the README example.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallgateClient, type CallgateClient } from '../../client';
import { buildTestApp, type TestApp } from '../helpers/app';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiling the client on a loaded 2-core box; alone it takes about 2 s. */
const README_EXAMPLE_TIMEOUT_MS = 30_000;

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
    // No webSocketImpl: Node 22 has a global WebSocket, as browsers do.
    client = createCallgateClient({ url: testApp.url });
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

  // The README's example, as written but for the gateway's URL and where './client' is, run by tsx.
  it('runs the README example', { timeout: README_EXAMPLE_TIMEOUT_MS }, async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const example = /## Typed client[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("createCallgateClient({ url: 'http://127.0.0.1:4000/graphql' })");
    const dir = await mkdtemp(join(tmpdir(), 'callgate-readme-'));
    try {
      const file = join(dir, 'watch-echo.mts');
      await writeFile(
        file,
        example!.replace('http://127.0.0.1:4000/graphql', testApp.url).replace("'./client'", JSON.stringify(join(ROOT, 'client/index.ts'))),
      );
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: README_EXAMPLE_TIMEOUT_MS }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        );
      });
      expect(stdout.trim().split('\n').at(-1)).toBe('SUCCEEDED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
