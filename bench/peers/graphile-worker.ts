// graphile-worker 0.18 at its fastest documented setting (worker.graphile.org/docs/performance):
// a local queue of 500 jobs fetched in one statement, and completions batched (delay 0: every
// completion of one tick in one statement). Completed jobs are deleted, so open = rows left.
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import postgres from 'postgres';
import { chunks, installedVersion, type Peer } from './peer';

const TASK = 'noop';
const LOCAL_QUEUE_SIZE = 500;
/** 0 = flush at the end of the tick: the docs' benchmark setting; -1 would write each job alone. */
const BATCH_DELAY_MS = 0;

/** Warnings and errors only: its info lines would be the benchmark's output. */
const quiet = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker: ${message}`);
});

export function graphileWorkerPeer(connectionString: string, concurrency: number): Peer {
  const version = installedVersion('graphile-worker');
  const sql = postgres(connectionString, { max: 1, onnotice: () => {} });
  let utils: WorkerUtils | undefined;
  let runner: Runner | undefined;
  return {
    label: `graphile-worker ${version}`,
    mode: `local queue ${LOCAL_QUEUE_SIZE}, batched completion`,
    settings: `concurrency ${concurrency}, localQueue.size ${LOCAL_QUEUE_SIZE}, completeJobBatchDelay and failJobBatchDelay ${BATCH_DELAY_MS}`,
    async prepare(jobs) {
      utils = await makeWorkerUtils({ connectionString });
      await utils.migrate();
      for (const ns of chunks(jobs)) await utils.addJobs(ns.map((n) => ({ identifier: TASK, payload: { n } })));
    },
    async start(post) {
      runner = await run({
        connectionString,
        concurrency,
        noHandleSignals: true,
        taskList: { [TASK]: async (payload) => post((payload as { n: number }).n) },
        preset: {
          worker: {
            // One connection per job slot plus one for the local queue's fetches, as the docs' 24/25.
            maxPoolSize: concurrency + 1,
            localQueue: { size: LOCAL_QUEUE_SIZE },
            completeJobBatchDelay: BATCH_DELAY_MS,
            failJobBatchDelay: BATCH_DELAY_MS,
            logger: quiet,
          },
        },
      });
    },
    async remaining() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from graphile_worker._private_jobs`;
      return row?.n ?? 0;
    },
    async stop() {
      await runner?.stop();
      await utils?.release();
      await sql.end({ timeout: 5 });
    },
  };
}
