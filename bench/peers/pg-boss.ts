// pg-boss 12 tuned for throughput: each of `localConcurrency` workers fetches a batch of jobs in
// one statement and completes the whole batch in one (its handler POSTs them all at once), and
// keeps fetching without a pause while batches come back full (burstWhenBatchFull). Workers ×
// batch = the same 32 calls in flight as the others. Completed jobs stay with state 'completed'.
import { PgBoss } from 'pg-boss';
import postgres from 'postgres';
import { chunks, installedVersion, type Peer } from './peer';

const QUEUE = 'noop';
/**
 * One worker fetching the whole 32 at a time was the fastest split on the 2-core machine (5,000
 * jobs: 1 × 32 in 5.7 s, 4 × 8 in 10.5 s, 32 × 1 not done in 60 s): a fetch and a completion per
 * 32 jobs cost less than the wait for a batch's slowest call.
 */
const WORKERS = 1;

export function pgBossPeer(connectionString: string, concurrency: number): Peer {
  const version = installedVersion('pg-boss');
  const batchSize = Math.max(1, Math.round(concurrency / WORKERS));
  const sql = postgres(connectionString, { max: 1, onnotice: () => {} });
  // One connection per worker for its fetch and completion, plus pg-boss's own housekeeping.
  const boss = new PgBoss({ connectionString, max: WORKERS + 2, supervise: false, schedule: false });
  boss.on('error', (err: Error) => console.error(`pg-boss: ${err.message}`));
  return {
    label: `pg-boss ${version}`,
    mode: `batch fetch ${batchSize}`,
    settings: `work with localConcurrency ${WORKERS} × batchSize ${batchSize} (${WORKERS * batchSize} in flight), burstWhenBatchFull, pollingIntervalSeconds 0.5`,
    async prepare(jobs) {
      await boss.start();
      await boss.createQueue(QUEUE);
      for (const ns of chunks(jobs)) await boss.insert(QUEUE, ns.map((n) => ({ data: { n } })));
    },
    async start(post) {
      await boss.work<{ n: number }>(
        QUEUE,
        { localConcurrency: WORKERS, batchSize, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
        async (jobs) => {
          await Promise.all(jobs.map((job) => post(job.data.n)));
        },
      );
    },
    async remaining() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = ${QUEUE} and state <> 'completed'`;
      return row?.n ?? 0;
    },
    async stop() {
      await boss.stop({ graceful: false, timeout: 5_000 });
      await sql.end({ timeout: 5 });
    },
  };
}
