// Job events across instances with batching on: 64 concurrent callService calls on instance B
// (no workers) are enqueued in batches, instance A runs them, and B's event bus still sees every
// status change of every job, in order, from the statement-level NOTIFYs; B's jobUpdated
// subscribers see the jobs to the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus, type JobEvent } from '../../src/events/bus';
import { createLogger } from '../../src/logger';
import { buildTestApp, type TestApp } from '../helpers/app';
import { hasPgServer, pgSkipReason } from '../helpers/db';

const SERVICES = `
services:
  - { name: mock, kind: mock, operations: [{ name: echo, mock: { latencyMs: [5, 30] } }] }
`;
const CALLERS = 64;
const SUBSCRIBED = 8;

describe.skipIf(!hasPgServer())(`job events across two instances ${pgSkipReason()}`, () => {
  let a: TestApp;
  let b: TestApp;
  let busOnB: EventBus;
  const events: JobEvent[] = [];

  beforeAll(async () => {
    a = await buildTestApp({ services: SERVICES });
    b = await buildTestApp({ services: SERVICES, databaseUrl: a.databaseUrl!, env: { WORKER_CONCURRENCY: '0' } });
    busOnB = createEventBus({ database: b.app.database, log: createLogger('silent') });
    await busOnB.start();
    busOnB.onEvent((event) => {
      if (event) events.push(event);
    });
  }, 60_000);
  afterAll(async () => {
    await busOnB?.stop();
    await b?.stop();
    await a?.stop();
  });

  it('B sees every status change of the jobs A runs, and its subscribers see them finish', async () => {
    const ids = await Promise.all(Array.from({ length: CALLERS }, (_, n) => b.call('mock', 'echo', { n })));
    expect(new Set(ids).size).toBe(CALLERS);
    const subscriptions = ids
      .slice(0, SUBSCRIBED)
      .map((id) => b.subscribe<{ jobUpdated: { status: string; output: unknown } }>(`subscription($id: ID!) { jobUpdated(id: $id) { status output } }`, { id }));

    const statusesOf = (id: string) => events.filter((e) => e.id === id).map((e) => `${e.status}:${e.attempt}`);
    await expect.poll(() => ids.filter((id) => statusesOf(id).includes('succeeded:1')).length, { timeout: 30_000 }).toBe(CALLERS);
    for (const id of ids) expect(statusesOf(id), id).toEqual(['pending:0', 'running:1', 'succeeded:1']);

    const finals = await Promise.all(subscriptions);
    finals.forEach((updates, n) => expect(updates.at(-1)?.data?.jobUpdated).toEqual({ status: 'SUCCEEDED', output: { echo: { n } } }));
  });
});
