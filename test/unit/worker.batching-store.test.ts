// The batching store with a fake batch statement and a fake single-job store, on fake timers:
// writes that end together go in one batch and each caller gets its own row; follow-ups, async
// waits and put-backs go the single-job way; an unreachable database rejects every caller (the
// outcome writer retries them); any other failure of a batch is retried job by job.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchedFinish, ClaimedJob, Ended } from '../../src/queue';
import { createBatchingStore } from '../../src/worker/batching-store';
import type { Decision } from '../../src/worker/decide';
import type { JobStore } from '../../src/worker/store';

const job = (id: string, over: Partial<ClaimedJob> = {}) => ({ id, claimToken: `t-${id}`, followUps: null, attempts: 1, ...over }) as ClaimedJob;
const ended = (id: string, status: 'succeeded' | 'failed' = 'succeeded'): Ended => ({ id, status, attempts: 1, runAt: new Date(0) });
const succeed: Decision = { kind: 'succeed', output: 1 };

let batches: BatchedFinish[][];
let singles: string[];
let batchError: unknown;
const single: JobStore = {
  claim: async () => [],
  write: async (j, d) => {
    singles.push(`${j.id}:${d.kind}`);
    return ended(j.id);
  },
};
const writeBatch = async (batch: BatchedFinish[]) => {
  batches.push(batch);
  if (batchError) throw batchError;
  // The second row of every batch was fenced out.
  return batch.map((f, i) => (i === 1 ? null : ended(f.jobId)));
};

beforeEach(() => {
  vi.useFakeTimers();
  batches = [];
  singles = [];
  batchError = undefined;
});
afterEach(() => vi.useRealTimers());

describe('batching store', () => {
  it('writes the endings of a few milliseconds in one batch, each caller getting its own row', async () => {
    const store = createBatchingStore(single, writeBatch, { flushMs: 2 });
    const writes = ['a', 'b', 'c'].map((id) => store.write(job(id), succeed, undefined));
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(writes)).toEqual([ended('a'), null, ended('c')]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((f) => [f.jobId, f.claimToken, f.ending.kind])).toEqual([
      ['a', 't-a', 'succeed'],
      ['b', 't-b', 'succeed'],
      ['c', 't-c', 'succeed'],
    ]);
  });

  it('sends a full batch at once, without waiting for the timer', async () => {
    const store = createBatchingStore(single, writeBatch, { flushMs: 1_000, maxBatch: 2 });
    const writes = ['a', 'b'].map((id) => store.write(job(id), { kind: 'fail', error: 'x' }, undefined));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toHaveLength(1);
    await Promise.all(writes);
  });

  it('writes follow-up carriers, async waits, put-backs and records one by one', async () => {
    const store = createBatchingStore(single, writeBatch);
    await Promise.all([
      store.write(job('f', { followUps: {} as ClaimedJob['followUps'] }), succeed, undefined),
      store.write(job('w'), { kind: 'wait_callback', timeoutMs: 1_000 }, undefined),
      store.write(job('p'), { kind: 'put_back', runAt: null, reason: 'r' }, undefined),
      store.write(job('r'), { kind: 'record_only' }, undefined),
    ]);
    expect(singles).toEqual(['f:succeed', 'w:wait_callback', 'p:put_back', 'r:record_only']);
    expect(batches).toEqual([]);
  });

  it('rejects every caller when the database is unreachable, so that each write is retried', async () => {
    batchError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const store = createBatchingStore(single, writeBatch);
    const writes = ['a', 'b'].map((id) => store.write(job(id), succeed, undefined));
    const settled = Promise.allSettled(writes);
    await vi.advanceTimersByTimeAsync(5);
    expect((await settled).map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(singles).toEqual([]);
  });

  it('retries a batch that failed otherwise (a deadlock) job by job', async () => {
    batchError = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const store = createBatchingStore(single, writeBatch);
    const writes = ['a', 'b'].map((id) => store.write(job(id), { kind: 'retry', delayMs: 10, error: 'e' }, undefined));
    await vi.advanceTimersByTimeAsync(5);
    expect(await Promise.all(writes)).toEqual([ended('a'), ended('b')]);
    expect(singles).toEqual(['a:retry', 'b:retry']);
  });
});
