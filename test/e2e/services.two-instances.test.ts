// Two gateways on one database: a service registered, switched or deleted through one is seen by
// the other at once (NOTIFY, no restart), and neither instance writes its file into the shared table.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { jobs, services } from '../../src/db/schema';
import { buildTestApp, type TestApp } from '../helpers/app';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { createTenantWithKeys, gqlAs } from '../helpers/keys';

/** Each instance's own file: the other's file services never reach it. */
const fileOf = (name: string) => `
services:
  - name: ${name}
    kind: mock
    operations: [{ name: echo }]
`;
const REGISTER = `mutation($input: ServiceDefinitionInput!) { registerService(input: $input) { __typename } }`;
const SET_MODE = `mutation($name: String!) { setServiceMode(name: $name, mode: MOCK) { __typename } }`;
const DELETE = `mutation($name: String!) { deleteService(name: $name) { __typename } }`;
const SERVICES = `{ services { name mode timeoutMs } }`;
const CALL = `mutation($input: CallServiceInput!) { callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } } }`;
const JOB = `query($id: ID!) { job(id: $id) { status output } }`;

describe.skipIf(!hasPgServer())(`two instances on one database ${pgSkipReason()}`, () => {
  let a: TestApp;
  let b: TestApp;
  let admin: string;

  /** What instance `t` lists, polled until `until` holds (a NOTIFY takes milliseconds, never a restart). */
  async function servicesOn(t: TestApp, until: (list: Array<{ name: string; mode: string; timeoutMs: number }>) => boolean) {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const list = (await gqlAs(t, admin, SERVICES)).body.data!.services;
      if (until(list) || Date.now() > deadline) return list;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    a = await buildTestApp({ services: fileOf('file-a') });
    b = await buildTestApp({ services: fileOf('file-b'), databaseUrl: a.databaseUrl!, env: { WORKER_CONCURRENCY: '0' } });
    admin = (await createTenantWithKeys(a, 'acme')).admin;
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('keeps each file in its instance: the table holds no file service', async () => {
    expect(await a.app.database.db.select().from(services)).toEqual([]);
    expect((await gqlAs(a, admin, SERVICES)).body.data!.services.map((s: { name: string }) => s.name)).toEqual(['file-a']);
    expect((await gqlAs(b, admin, SERVICES)).body.data!.services.map((s: { name: string }) => s.name)).toEqual(['file-b']);
  });

  it('a service registered on one instance is listed and callable on the other, its mode switch too', async () => {
    const input = { name: 'slow-news', kind: 'MOCK', timeoutMs: 45_000, mockTemplate: 'news' };
    expect((await gqlAs(a, admin, REGISTER, { input })).body.data!.registerService.__typename).toBe('ServiceSuccess');
    const seen = await servicesOn(b, (list) => list.some((s) => s.name === 'slow-news'));
    expect(seen).toContainEqual({ name: 'slow-news', mode: 'REAL', timeoutMs: 45_000 });
    expect(a.app.registry.service('slow-news')?.timeoutMs).toBe(45_000);

    // Enqueued through B (no workers), run by A.
    const called = await gqlAs(b, admin, CALL, { input: { service: 'slow-news', operation: 'headlines', input: { topic: 'tides' } } });
    const id = called.body.data!.callService.job.id as string;
    // B's registry knew the new service's timeout when it accepted the job: the job is leased for it (plus the 5 s margin).
    expect((await a.app.database.db.select({ leaseMs: jobs.leaseMs }).from(jobs).where(eq(jobs.id, id)))[0]?.leaseMs).toBe(50_000);
    let job: { status: string; output: { topic: string } } | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && job?.status !== 'SUCCEEDED'; ) {
      job = (await gqlAs(b, admin, JOB, { id })).body.data!.job;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job).toMatchObject({ status: 'SUCCEEDED', output: { topic: 'tides' } });

    await gqlAs(b, admin, SET_MODE, { name: 'slow-news' });
    expect(await servicesOn(a, (list) => list.some((s) => s.name === 'slow-news' && s.mode === 'MOCK'))).toContainEqual(
      expect.objectContaining({ name: 'slow-news', mode: 'MOCK' }),
    );
  });

  it('a service deleted on one instance is gone from the other', async () => {
    expect((await gqlAs(b, admin, DELETE, { name: 'slow-news' })).body.data!.deleteService.__typename).toBe('DeleteServiceSuccess');
    expect((await servicesOn(a, (list) => !list.some((s) => s.name === 'slow-news'))).map((s: { name: string }) => s.name)).toEqual(['file-a']);
    expect(a.app.registry.service('slow-news')).toBeUndefined();
  });

  it('the writing instance reloads once (its answer), not again on its own NOTIFY; the other still follows', async () => {
    // The follower reloads through the app's registry; a write's own reload goes through the tenant's view.
    const followerReloads = vi.spyOn(a.app.registry, 'reload');
    const input = { name: 'once', kind: 'MOCK', mockTemplate: 'news' };
    expect((await gqlAs(a, admin, REGISTER, { input })).body.data!.registerService.__typename).toBe('ServiceSuccess');
    await servicesOn(b, (list) => list.some((s) => s.name === 'once'));
    // B's write NOTIFYs after A's: A has handled its own message once it sees B's change.
    await gqlAs(b, admin, SET_MODE, { name: 'once' });
    expect(await servicesOn(a, (list) => list.some((s) => s.name === 'once' && s.mode === 'MOCK'))).toContainEqual(
      expect.objectContaining({ name: 'once', mode: 'MOCK' }),
    );
    expect(followerReloads).toHaveBeenCalledTimes(1);
    followerReloads.mockRestore();
    expect((await gqlAs(a, admin, DELETE, { name: 'once' })).body.data!.deleteService.__typename).toBe('DeleteServiceSuccess');
  });
});
