// The CLI on the embedded database (no DATABASE_URL): refused with a clear message while a gateway
// runs on the data directory, working once it stopped; a lock left by a killed process does not
// block it; an empty directory says what to do.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../scripts/gateway-process';
import { LOCK_FILE } from '../../src/db/data-dir-lock';
import { runCliProcess } from '../helpers/cli-process';

const servicesFile = fileURLToPath(new URL('../../services.yaml', import.meta.url));
/** A gateway start on PGlite (tsx, migrations) plus several CLI starts, on two busy cores. */
const TEST_TIMEOUT_MS = 300_000;
/** A first start creates the PGlite cluster and migrates it: over a minute when the cores are busy. */
const GATEWAY_START_MS = 150_000;

let dataDir: string;
let gateway: GatewayProcess | undefined;
const cli = (...args: string[]) => runCliProcess(args, { DATABASE_URL: undefined, CALLGATE_DATA_DIR: dataDir });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'callgate-cli-'));
});
afterAll(async () => {
  gateway?.kill('SIGKILL');
  await gateway?.exited;
  await rm(dataDir, { recursive: true, force: true });
});

it('says there is no embedded database yet, exit 1', async () => {
  const r = await cli('jobs', 'list');
  expect([r.code, r.stdout]).toEqual([1, '']);
  expect(r.stderr).toBe(
    `callgate: no embedded database in ${dataDir}: start the gateway there once (npm start) or run \`callgate migrate\`, ` +
      'or set DATABASE_URL (or CALLGATE_DATA_DIR) to the database to read\n',
  );
});

it('is refused while a gateway runs on the data directory, and reads it once the gateway stopped', { timeout: TEST_TIMEOUT_MS }, async () => {
  gateway = await startGatewayProcess({ databaseUrl: undefined, servicesFile, env: { CALLGATE_DATA_DIR: dataDir, WORKER_CONCURRENCY: '0' }, startTimeoutMs: GATEWAY_START_MS });
  const call = await gateway.gql<{ callService: { job: { id: string } } }>(
    'mutation { callService(input: { service: "mock", operation: "echo", input: { hi: 1 } }) { ... on CallServiceSuccess { job { id } } } }',
  );
  const jobId = call.data!.callService.job.id;

  const locked = await cli('jobs', 'list');
  expect([locked.code, locked.stdout]).toEqual([1, '']);
  expect(locked.stderr).toBe(
    `callgate: the embedded database in ${dataDir} is in use by another callgate process (pid ${gateway.pid}, usually a running gateway): ` +
      'stop it first, or set DATABASE_URL to share a PostgreSQL server\n',
  );

  gateway.kill('SIGTERM');
  expect((await gateway.exited).code).toBe(0);
  // A lock file left by a process that died without releasing it (SIGKILL) is taken over.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  await writeFile(join(dataDir, LOCK_FILE), `${dead}\n`);

  // One after the other: each CLI run holds the lock while it reads.
  const list = await cli('jobs', 'list');
  const json = await cli('jobs', 'list', '--json');
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toMatch(new RegExp(`^ID +STATUS +SERVICE +OPERATION +ATTEMPTS +CREATED +LAST ERROR\\n${jobId}  pending  mock +echo +0/5  \\S+Z  -\\n$`));
  expect(JSON.parse(json.stdout)).toMatchObject([{ id: jobId, status: 'pending', input: { hi: 1 } }]);
});
