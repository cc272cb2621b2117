// `npm start` on a bare machine: no DATABASE_URL, no PostgreSQL needed. It comes up on the
// embedded PGlite with the shipped services.yaml, runs mock.echo, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { groupAlive } from '../helpers/process-group';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function runGateway(command: string, args: string[], use: (url: string, output: () => string) => Promise<void>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'callgate-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CALLGATE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.CALLGATE_SERVICES_FILE;
  const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await expect.poll(() => output, { timeout: 45_000, interval: 100 }).toMatch(/GraphiQL at (http:\/\/\S+)/);
    expect(output).toMatch(/embedded PGlite/);
    await use(/GraphiQL at (http:\/\/\S+)/.exec(output)![1]!, () => output);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
  const code = await exited;
  // Wait for the whole process group (npm's child too) before removing the data directory.
  await expect.poll(() => groupAlive(child.pid!), { timeout: 15_000 }).toBe(false);
  await rm(dataDir, { recursive: true, force: true });
  return { code, output };
}

it('npm start serves GraphiQL on PGlite and runs mock.echo to SUCCEEDED', async () => {
  const { output } = await runGateway('npm', ['start'], async (url, printed) => {
    const page = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
    expect(page).toMatch(/graphiql/i);
    // The printed dev key is pre-filled in GraphiQL and accepted as a Bearer key.
    const key = /embedded database \(GraphiQL has it\): (cg_live_\S+)/.exec(printed())![1]!;
    expect(page).toContain(key);
    const keyed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ apiKeys { role name } }' }),
    });
    expect(await keyed.json()).toMatchObject({ data: { apiKeys: expect.arrayContaining([{ role: 'ADMIN', name: 'dev (embedded database)' }]) } });
    const gql = async (query: string) =>
      (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json()) as {
        data: Record<string, any>;
      };
    const call = await gql(`mutation { callService(input: { service: "mock", operation: "echo", input: { hi: 1 } }) { ... on CallServiceSuccess { job { id } } } }`);
    const id = call.data.callService.job.id;
    await expect
      .poll(async () => (await gql(`{ job(id: "${id}") { status output } }`)).data.job, { timeout: 10_000 })
      .toEqual({ status: 'SUCCEEDED', output: { echo: { hi: 1 } } });
  });
  // npm itself dies of the signal; the gateway under it must have stopped cleanly.
  expect(output).toContain('"msg":"callgate stopped"');
  expect(output).toMatch(/admin key for this embedded database \(GraphiQL has it\): cg_live_\S+/);
}, 90_000);

/** The GraphQL documents of the README's refund example, in order, as written there. */
async function readmeRefundExample(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('### Try it: a refund');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  return [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

it("runs the README's refund example on npm start: WAITING_CALLBACK, SUCCEEDED by the signed callback, the receipt as a follow-up", async () => {
  const [refund, follow, refunded] = await readmeRefundExample();
  expect(refunded, 'the README has the three documents').toBeDefined();
  await runGateway('npm', ['start'], async (url) => {
    const post = (query: string, variables: Record<string, unknown>, accept = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, variables }) });
    const called = (await (await post(refund!, {})).json()) as { data: { callService: { __typename: string; job: { id: string } } } };
    expect(called.data.callService.__typename).toBe('CallServiceSuccess');
    const id = called.data.callService.job.id;
    // The subscription over SSE, as curl or fetch would: every event until `complete`.
    const stream = await (await post(follow!, { id }, 'text/event-stream')).text();
    const events = [...stream.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!).data.jobUpdated);
    // The first event is the job as it is when the stream opens: on a busy machine the callback
    // (0.5 to 1.5 s after the 202) may have settled it by then. The wait itself shows in the attempt log below.
    expect(events.map((e) => e.status).every((status) => ['PENDING', 'RUNNING', 'WAITING_CALLBACK', 'SUCCEEDED'].includes(status))).toBe(true);
    expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED', callback: { receivedAt: expect.any(String) } });
    const read = async () => ((await (await post(refunded!, { id })).json()) as { data: { job: any } }).data.job;
    await expect.poll(async () => (await read()).followUps[0]?.status, { timeout: 15_000 }).toBe('SUCCEEDED');
    expect(await read()).toMatchObject({
      status: 'SUCCEEDED',
      correlationId: 'order-42',
      output: { id: `re_${id}`, chargeId: 'ch_1', amount: 500 },
      attemptLog: [{ outcome: 'ACCEPTED', httpStatus: 202 }, { outcome: 'CALLBACK', httpStatus: null }],
      followUps: [
        {
          service: 'mail',
          operation: 'send',
          input: { to: 'ada@example.com', subject: `Your refund re_${id}`, amount: 500 },
          output: { to: 'ada@example.com', messageId: expect.stringMatching(/^msg_/) },
        },
      ],
    });
  });
}, 90_000);

it('the gateway exits 0 on SIGTERM', async () => {
  const { code, output } = await runGateway(process.execPath, ['--import', 'tsx', 'src/main.ts'], async (url) => {
    expect((await fetch(url.replace('/graphql', '/readyz'))).status).toBe(200);
  });
  expect(code, output).toBe(0);
}, 90_000);
