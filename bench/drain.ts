// Figure 2, drain: K jobs already in the table, run end to end by a gateway with 32 workers
// (claim, POST to a no-op server in its own process, attempt logged, NOTIFY), as a ratio of the
// same K POSTs sent by 32 concurrent undici requests with no queue at all (the HTTP ceiling), and
// of graphile-worker and pg-boss draining K jobs with the same POST, 32 at a time, each tuned for
// throughput, each in its own process and database on the same server (bench/peers/).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Pool, request } from 'undici';
import { DEFAULT_TENANT_ID } from '../src/db/schema';
import {
  boundedNumber,
  cpuMeter,
  createBenchDatabase,
  describeMachine,
  fmt,
  onCleanup,
  ROOT,
  runFigure,
  saveFigure,
  startGateway,
  stopChild,
  waitUntil,
  writeServicesFile,
  type Row,
} from './harness';
import { runPeer, type PeerResult } from './peers/run-peer';

const JOBS = boundedNumber(process.env.BENCH_DRAIN_JOBS, 20_000, 100, 1_000_000);
/** The drain stops being waited for after this; the rate is then over the jobs that finished. */
const DRAIN_LIMIT_MS = boundedNumber(process.env.BENCH_DRAIN_LIMIT_S, 60, 5, 600) * 1000;
const CONCURRENCY = 32;
/** Unmeasured POSTs before the raw runs: connections open, Node's JIT settles. */
const RAW_WARMUP_REQUESTS = 1_000;
/** The raw run is short (well under a second for 20,000): the fastest of a few is the ceiling. */
const RAW_RUNS = 3;
const POLL_INTERVAL_MS = 200;
const UPSTREAM_START_TIMEOUT_MS = 10_000;
const UPSTREAM_STOP_TIMEOUT_MS = 5_000;
/** The raw runs together take about a second; past this they are cut short and count as failed. */
const RAW_LIMIT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const TARGET_RATIO = 0.5;
/** The peers drain this many (BENCH_PEER_JOBS); the same K by default. */
const PEER_JOBS = boundedNumber(process.env.BENCH_PEER_JOBS, JOBS, 100, 1_000_000);
/** DESIGN.md §8: callgate's drain against each peer's, measured in the same run. */
const PEER_TARGETS = { 'graphile-worker': 1.2, 'pg-boss': 2.5 } as const;

runFigure(async () => {
  const db = await createBenchDatabase();
  const machine = await describeMachine(db.sql);
  const upstream = await startUpstream();

  const raw = await rawPosts(upstream, JOBS);
  console.log(`raw: ${JOBS} POSTs in ${raw.seconds.toFixed(2)} s (fastest of ${RAW_RUNS}) = ${(JOBS / raw.seconds).toFixed(0)}/s, ${raw.failed} failed`);

  await db.sql`
    insert into jobs (tenant_id, service, operation, input, max_attempts)
    select ${DEFAULT_TENANT_ID}, 'upstream', 'noop', jsonb_build_object('n', g), 5 from generate_series(1, ${JOBS}::int) g`;
  await db.sql`vacuum analyze jobs`;
  const servicesFile = await writeServicesFile(`services:
  - name: upstream
    kind: http
    baseUrl: ${upstream.url}
    operations:
      - name: noop
        method: POST
        path: /noop
`);
  // The workers start with the gateway, so the rate is taken from the rows' own timestamps
  // (first claim to last completion, both the database's clock), not from when we saw it ready.
  const gateway = await startGateway({ databaseUrl: db.url, servicesFile, env: { WORKER_CONCURRENCY: String(CONCURRENCY) } });
  const cpu = cpuMeter({ gateway: gateway.pid, upstream: upstream.pid });
  const finished = await waitUntil(
    async () => {
      const [row] = await db.sql<{ open: number }[]>`select count(*)::int as open from jobs where status in ('pending', 'running')`;
      return row?.open === 0;
    },
    DRAIN_LIMIT_MS,
    POLL_INTERVAL_MS,
  );
  const cores = cpu();
  await gateway.stop();

  const [stats] = await db.sql<{ succeeded: number; other: number; seconds: number; hold_ms: number; attempts: number; claims: number }[]>`
    select count(*) filter (where status = 'succeeded')::int as succeeded,
           count(*) filter (where status <> 'succeeded')::int as other,
           extract(epoch from max(completed_at) - min(started_at))::float8 as seconds,
           (avg(extract(epoch from completed_at - started_at)) filter (where status = 'succeeded') * 1000)::float8 as hold_ms,
           (select count(*)::int from job_attempts) as attempts,
           -- One claim statement stamps all its jobs with the same now(): distinct values = claims.
           count(distinct started_at)::int as claims
    from jobs`;
  // Where a job's time goes between its claim and its completion. The attempt's times are the
  // gateway's clock (ms), the job's the database's; both are this machine's clock.
  const [phases] = await db.sql<{ claim_to_call: number; call: number; call_to_completion: number }[]>`
    select avg(extract(epoch from a.started_at - j.started_at) * 1000)::float8 as claim_to_call,
           avg(a.duration_ms)::float8 as call,
           avg(extract(epoch from j.completed_at - a.finished_at) * 1000)::float8 as call_to_completion
    from jobs j join job_attempts a on a.job_id = j.id
    where j.status = 'succeeded'`;
  if (!stats || stats.succeeded === 0) throw new Error('no job succeeded');
  const byStatus = await db.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from jobs group by status order by status`;
  const rate = stats.succeeded / stats.seconds;
  const rawRate = JOBS / raw.seconds;
  const ratio = rate / rawRate;
  console.log(
    `callgate: ${stats.succeeded} of ${JOBS} succeeded in ${stats.seconds.toFixed(2)} s = ${rate.toFixed(0)}/s` +
      `${finished ? '' : ` (stopped waiting after ${DRAIN_LIMIT_MS / 1000} s)`}; claim → completion ${stats.hold_ms.toFixed(1)} ms avg;` +
      ` ${(JOBS / stats.claims).toFixed(1)} jobs per claim; claim → call ${phases?.claim_to_call.toFixed(1)} ms, call ${phases?.call.toFixed(1)} ms,` +
      ` call → completion ${phases?.call_to_completion.toFixed(1)} ms;` +
      ` CPU in cores ${JSON.stringify(cores)}`,
  );

  const peers: (PeerResult & { target: number })[] = [];
  for (const [name, target] of Object.entries(PEER_TARGETS) as [keyof typeof PEER_TARGETS, number][]) {
    const peer = await runPeer(name, { upstreamUrl: upstream.url, jobs: PEER_JOBS, concurrency: CONCURRENCY, limitSeconds: DRAIN_LIMIT_MS / 1000 });
    console.log(
      `${peer.label} (${peer.settings}): ${peer.completed} of ${peer.jobs} in ${peer.seconds.toFixed(2)} s = ${peer.jobsPerSecond.toFixed(0)}/s` +
        `${peer.finished ? '' : ' (partial)'}, ${peer.failed} failed; CPU in cores ${JSON.stringify(peer.cpuCores)}`,
    );
    peers.push({ ...peer, target });
  }
  const peerRows: Row[] = peers.map(({ target, ...peer }) => {
    const peerRatio = rate / peer.jobsPerSecond;
    return {
      figure: `drain vs ${peer.label} (${peer.mode}), ${peer.jobs.toLocaleString('en-US')} jobs`,
      callgate: `${fmt.rate(rate)}${finished ? '' : ' (partial)'}`,
      baseline: `${fmt.rate(peer.jobsPerSecond)}${peer.finished ? '' : ' (partial)'}`,
      ratio: fmt.ratio(peerRatio),
      target: `≥ ${target}`,
      met: finished && peer.finished && peer.failed === 0 && peerRatio >= target,
    };
  });

  await saveFigure(
    'drain',
    [
      {
        figure: `drain, ${CONCURRENCY} workers, ${JOBS.toLocaleString('en-US')} jobs`,
        callgate: `${fmt.rate(rate)}${finished ? '' : ' (partial)'}`,
        baseline: `${fmt.rate(rawRate)} raw POSTs`,
        ratio: fmt.ratio(ratio),
        target: `≥ ${TARGET_RATIO}`,
        met: finished && ratio >= TARGET_RATIO && raw.failed === 0,
      },
      ...peerRows,
    ],
    {
      machine,
      jobs: JOBS,
      concurrency: CONCURRENCY,
      callgate: {
        jobsPerSecond: rate,
        finishedAll: finished,
        succeeded: stats.succeeded,
        notSucceeded: stats.other,
        byStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
        attemptRows: stats.attempts,
        seconds: stats.seconds,
        claimToCompletionAvgMs: stats.hold_ms,
        /** Claim statement → call sent; the call; call answered → completion transaction's BEGIN. */
        phasesAvgMs: { claimToCall: phases?.claim_to_call, call: phases?.call, callToCompletion: phases?.call_to_completion },
        claims: stats.claims,
        jobsPerClaim: JOBS / stats.claims,
        cpuCores: cores,
      },
      raw: { postsPerSecond: rawRate, seconds: raw.seconds, failed: raw.failed, cpuCores: raw.cpuCores },
      ratio,
      peers: peers.map((peer) => ({ ...peer, callgateRatio: rate / peer.jobsPerSecond })),
    },
  );
});

interface Upstream {
  url: string;
  pid: number;
}

/** `node bench/noop-upstream.mjs`; its stdin is a pipe, so it exits when this process does. */
async function startUpstream(): Promise<Upstream> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'noop-upstream.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(() => undefined);
  onCleanup(() => stopChild(child, exited, UPSTREAM_STOP_TIMEOUT_MS));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the no-op upstream printed no port within ${UPSTREAM_START_TIMEOUT_MS} ms`)), UPSTREAM_START_TIMEOUT_MS);
    void exited.then(() => reject(new Error('the no-op upstream exited before it listened')));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = /^listening (\d+)$/.exec(line)?.[1];
      if (!found) return;
      clearTimeout(timer);
      resolve(found);
    });
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number };
}

/** `count` POSTs, CONCURRENCY at a time, shaped like the gateway's (headers, a small JSON body); the fastest of RAW_RUNS. */
async function rawPosts({ url, pid }: Upstream, count: number): Promise<{ seconds: number; failed: number; cpuCores: Record<string, number> }> {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  onCleanup(async () => {
    if (!pool.closed) await pool.close();
  });
  let next = 0;
  let failed = 0;
  let total = 0;
  const deadline = performance.now() + RAW_LIMIT_MS;
  const post = async () => {
    while (next < total) {
      if (performance.now() > deadline) {
        failed += total - next;
        next = total;
        break;
      }
      const n = next++;
      try {
        const res = await request(`${url}/noop`, {
          dispatcher: pool,
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': `raw-${n}`, 'user-agent': 'callgate' },
          body: JSON.stringify({ n }),
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
        });
        JSON.parse(await res.body.text());
        if (res.statusCode !== 200) failed += 1;
      } catch {
        failed += 1;
      }
    }
  };
  const run = async (n: number) => {
    next = 0;
    total = n;
    await Promise.all(Array.from({ length: CONCURRENCY }, post));
  };
  await run(RAW_WARMUP_REQUESTS);
  failed = 0;
  const cpu = cpuMeter({ loadGenerator: process.pid, upstream: pid });
  let seconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RAW_RUNS; i++) {
    const start = performance.now();
    await run(count);
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  const cpuCores = cpu();
  await pool.close();
  return { seconds, failed, cpuCores };
}
