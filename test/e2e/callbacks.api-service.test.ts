// An async operation registered through the admin API: validated like the file's (located
// messages), stored and reloaded with its async block, its callback secret bound to the tenant's
// own CALLGATE_SECRET_<tenant>_* variables; Job.callback is visible to the job's tenant only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantSecretPrefix } from '../../src/registry/tenant-secrets';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';

const REGISTER = `mutation($input: ServiceDefinitionInput!) {
  registerService(input: $input) { __typename ... on InvalidServiceError { problems } ... on Error { message } }
}`;
const CALL = `mutation($input: CallServiceInput!) { callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } } }`;
const JOB = `query($id: ID!) { job(id: $id) { status output callback { expiresAt receivedAt } } }`;

let t: TestApp;
let acme: Awaited<ReturnType<typeof createTenantWithKeys>>;
let globex: Awaited<ReturnType<typeof createTenantWithKeys>>;

beforeAll(async () => {
  t = await buildTestApp({ services: 'services: [{ name: echo, kind: mock, operations: [{ name: echo }] }]' });
  acme = await createTenantWithKeys(t, 'acme');
  globex = await createTenantWithKeys(t, 'globex');
});
afterAll(async () => {
  await t?.stop();
});

const refunds = (secretEnv: string, timeout = '1m') => ({
  name: 'acme-refunds',
  kind: 'MOCK',
  operations: [
    {
      name: 'refund',
      async: {
        correlationField: 'rid',
        callbackField: 'cb',
        timeout,
        verify: { standardWebhooks: { secretEnv } },
        result: { status: '/status', succeededWhen: ['ok'], failedWhen: ['no'], output: '/refund' },
      },
      mock: { callback: { delayMs: [0, 100], body: { status: 'ok', refund: { id: 're_{{jobId}}' } } } },
    },
  ],
});

describe('an async operation from the admin API', () => {
  it('is validated like the file, and may only name its own tenant\'s callback secret', async () => {
    const prefix = tenantSecretPrefix(acme.tenant.id);
    const bad = await gqlAs(t, acme.admin, REGISTER, { input: refunds(`${prefix}REFUNDS`, 'whenever') });
    expect(bad.body.data!.registerService.problems).toEqual([
      'service "acme-refunds", operation "refund", field "async.timeout": "whenever" is not a duration: use a whole number and a unit s, m, h or d, like "90s", "90m", "1h" or "7d"',
    ]);
    const foreign = await gqlAs(t, acme.admin, REGISTER, { input: refunds('DATABASE_URL') });
    expect(foreign.body.data!.registerService.problems).toEqual([
      `service "acme-refunds", operation "refund", field "async.verify": DATABASE_URL is not this tenant's; name variables ${prefix}*`,
    ]);
  });

  it('is stored with its async block and runs to SUCCEEDED through its mock callback; Job.callback is the tenant\'s only', async () => {
    const prefix = tenantSecretPrefix(acme.tenant.id);
    const saved = await gqlAs(t, acme.admin, REGISTER, { input: refunds(`${prefix}REFUNDS`) });
    expect(saved.body.data!.registerService.__typename).toBe('ServiceSuccess');
    const shown = await gqlAs(t, acme.admin, `{ service(name: "acme-refunds") { operations { async } } }`);
    expect(shown.body.data!.service.operations[0].async).toMatchObject({ timeout: '1m', verify: { standardWebhooks: { secretEnv: `${prefix}REFUNDS` } } });
    const called = await gqlAs(t, acme.client, CALL, { input: { service: 'acme-refunds', operation: 'refund', input: {} } });
    const id = called.body.data!.callService.job.id as string;
    let job: any;
    await expect
      .poll(async () => (job = (await gqlAs(t, acme.client, JOB, { id })).body.data!.job).status, { timeout: 10_000 })
      .toBe('SUCCEEDED');
    expect(job.output).toEqual({ id: `re_${id}` });
    expect(job.callback.receivedAt).not.toBeNull();
    expect((await gqlAs(t, globex.client, JOB, { id })).body.data!.job).toBeNull();
  });
});
