// A follow-up survives a crash exactly once: instance A is SIGKILLed while its worker waits for the
// parent's call, before the ending could be written. Instance B takes the jobs back after their
// lease: the one with an attempt left runs again and succeeds, the one without is failed by the
// sweeper; each creates its follow-up once, in the transaction that finally ends it.
import { describe, expect, it } from 'vitest';
import { hasPgServer, pgSkipReason } from '../helpers/db';
import { useProcessFixture } from '../helpers/process-fixture';

/** The upstream answers in 3 s, inside the 4 s timeout: time to kill A mid-call even on a busy box. */
const CALL_MS = 3_000;
const APP_NAME = 'callgate-test-follow-crash';

const CALL = `mutation Call($input: CallServiceInput!) {
  callService(input: $input) { __typename ... on CallServiceSuccess { job { id } } ... on Error { message } } }`;

describe.skipIf(!hasPgServer())(`follow-ups after a crash${hasPgServer() ? '' : ` (skipped: ${pgSkipReason()})`}`, () => {
  const f = useProcessFixture('follow-crash', APP_NAME);

  it('are created exactly once when another instance ends the parent', async () => {
    const servicesFile = await f.writeServices(`
services:
  - name: ledger
    kind: http
    baseUrl: ${f.upstream.url}
    timeoutMs: 4000
    operations:
      - name: post
        path: /entries
        onSuccess: [{ service: notify, operation: send, input: { entry: "{{output.id}}", n: "{{input.n}}" } }]
        onFailure: [{ service: notify, operation: send, input: { failed: "{{jobId}}", why: "{{error}}" } }]
  - name: notify
    kind: mock
    operations:
      - name: send
`);
    f.upstream.script('/entries', { status: 200, body: { id: 'e_1' }, delayMs: CALL_MS });
    const env = { WORKER_CONCURRENCY: '4', CALLGATE_SWEEP_INTERVAL_MS: '500' };

    const a = await f.start('A', servicesFile, env);
    const ids: Record<string, string> = {};
    for (const [name, maxAttempts] of [['rerun', 2], ['last', 1]] as const) {
      const res = await a.gql(CALL, { input: { service: 'ledger', operation: 'post', input: { n: maxAttempts }, maxAttempts } });
      expect(res.data?.callService, JSON.stringify(res)).toMatchObject({ __typename: 'CallServiceSuccess' });
      ids[name] = res.data!.callService.job.id;
    }
    await expect.poll(() => f.upstream.requests.length, { timeout: 20_000, interval: 20 }).toBe(2);
    a.kill('SIGKILL');
    expect(await a.exited).toMatchObject({ signal: 'SIGKILL' });
    const running = await f.sql<{ n: number }[]>`select count(*)::int as n from jobs where status = 'running' and locked_by = 'A'`;
    expect(running[0]!.n, 'A died before ending either parent').toBe(2);

    const b = await f.start('B', servicesFile, env);
    await expect
      .poll(async () => (await f.sql<{ n: number }[]>`select count(*)::int as n from jobs where parent_job_id is not null and status = 'succeeded'`)[0]!.n, {
        timeout: 40_000,
        interval: 250,
      })
      .toBe(2);

    const rows = await f.sql<{ id: string; status: string; parent_job_id: string | null; follow_up_slot: string | null; input: any }[]>`
      select id, status, parent_job_id, follow_up_slot, input from jobs order by created_at`;
    const parent = (id: string) => rows.find((r) => r.id === id)!;
    const children = (id: string) => rows.filter((r) => r.parent_job_id === id);
    expect(parent(ids.rerun!).status).toBe('succeeded');
    expect(children(ids.rerun!)).toMatchObject([{ follow_up_slot: 'onSuccess:0', input: { entry: 'e_1', n: 2 } }]);
    expect(parent(ids.last!).status).toBe('failed');
    expect(children(ids.last!)).toMatchObject([{ follow_up_slot: 'onFailure:0', input: { failed: ids.last, why: expect.stringContaining('outcome unknown') } }]);
    expect(rows).toHaveLength(4);

    b.kill('SIGTERM');
    expect(await b.exited, b.output()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
