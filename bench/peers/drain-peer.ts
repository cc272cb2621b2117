// One peer's drain, in its own process (so its CPU is its own, as the gateway's is): enqueues
// PEER_JOBS jobs in PEER_DATABASE_URL, runs them with PEER_CONCURRENCY calls in flight, each the
// POST the gateway makes to the no-op upstream, and prints `result <json>`. Timed from the first
// handler call to the poll that finds no open job (every completion written).
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';
import { boundedNumber, cpuMeter } from '../harness';
import { graphileWorkerPeer } from './graphile-worker';
import type { Peer } from './peer';
import { pgBossPeer } from './pg-boss';

/** Short against a drain of several seconds (under 1 % of it), cheap for the database: a count of a shrinking table. */
const POLL_INTERVAL_MS = 25;
const REQUEST_TIMEOUT_MS = 10_000;

const PEERS: Record<string, (url: string, concurrency: number) => Peer> = {
  'graphile-worker': graphileWorkerPeer,
  'pg-boss': pgBossPeer,
};

const name = process.argv[2] ?? '';
const makePeer = PEERS[name];
if (!makePeer) throw new Error(`unknown peer ${name}; one of ${Object.keys(PEERS).join(', ')}`);
const url = process.env.PEER_DATABASE_URL ?? '';
const upstream = process.env.PEER_UPSTREAM_URL ?? '';
const jobs = boundedNumber(process.env.PEER_JOBS, 20_000, 100, 1_000_000);
const concurrency = boundedNumber(process.env.PEER_CONCURRENCY, 32, 1, 1_000);
const limitMs = boundedNumber(process.env.PEER_LIMIT_S, 60, 5, 600) * 1000;

const peer = makePeer(url, concurrency);
await peer.prepare(jobs);
const http = new Pool(upstream, { connections: concurrency, pipelining: 1 });
let firstCallAt: number | undefined;
let failed = 0;
/** The gateway's request for an http job: same method, headers and JSON body, the answer read and parsed. */
const post = async (n: number) => {
  firstCallAt ??= performance.now();
  const res = await request(`${upstream}/noop`, {
    dispatcher: http,
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': `${name}-${n}`, 'user-agent': 'callgate' },
    body: JSON.stringify({ n }),
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  JSON.parse(await res.body.text());
  if (res.statusCode !== 200) {
    failed += 1;
    throw new Error(`HTTP ${res.statusCode}`);
  }
};

const startedAt = performance.now();
const cpu = cpuMeter({ [name]: process.pid });
await peer.start(post);
let open = jobs;
while (open > 0 && performance.now() - startedAt < limitMs) {
  await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  open = await peer.remaining();
}
const seconds = (performance.now() - (firstCallAt ?? startedAt)) / 1000;
const cpuCores = cpu();
await peer.stop();
await http.close();
console.log(`result ${JSON.stringify({ label: peer.label, mode: peer.mode, settings: peer.settings, jobs, completed: jobs - open, failed, seconds, finished: open === 0, cpuCores })}`);
process.exit(0);
