// What the drain figure needs from another PostgreSQL job runner: install it, enqueue K jobs
// (not timed), run them with a handler, and say how many are not yet durably completed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';
export interface Peer {
  /** `graphile-worker 0.18.0` */
  label: string;
  /** The tuning in a few words, for the results table: `local queue 500, batched completion`. */
  mode: string;
  /** The throughput settings in full, for BENCHMARKS.md. */
  settings: string;
  /** Installs the runner's schema and enqueues `jobs` jobs whose payload is `{ n }`. */
  prepare(jobs: number): Promise<void>;
  /** Starts working the jobs; `post(n)` is the handler (it throws when the POST failed). */
  start(post: (n: number) => Promise<void>): Promise<void>;
  /** Jobs not yet completed in the database (a batched completion not yet flushed counts as open). */
  remaining(): Promise<number>;
  stop(): Promise<void>;
}

/** Jobs per enqueue statement: keeps each bulk insert's parameters and memory small. */
export const ENQUEUE_CHUNK = 5_000;

export function* chunks(total: number, size = ENQUEUE_CHUNK): Generator<number[]> {
  for (let from = 1; from <= total; from += size) {
    yield Array.from({ length: Math.min(size, total - from + 1) }, (_, i) => from + i);
  }
}

/** The installed version of a dependency (read from its package.json, which some do not export). */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}
