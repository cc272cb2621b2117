// The per-operation breakers on opossum, driven by a fake call and fake timers: when they open,
// what they refuse, when they probe, and what they log.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallResult } from '../../src/clients/types';
import type { ServiceDef } from '../../src/registry/types';
import { createBreakers, type Breakers } from '../../src/worker/breakers';

const RESET_MS = 200;
const request = { method: 'POST', url: 'http://upstream/charges', headers: {} };
const ok: CallResult = { outcome: 'success', retryable: false, httpStatus: 200, output: { ok: true }, request };
const fail500: CallResult = { outcome: 'http_error', retryable: true, httpStatus: 500, error: 'HTTP 500', request };
const fail400: CallResult = { outcome: 'http_error', retryable: false, httpStatus: 400, error: 'HTTP 400', request };

const operation = { name: 'charge', method: 'POST' as const, path: '/charges' };
const service: ServiceDef = {
  name: 'payments',
  kind: 'http',
  baseUrl: 'http://upstream',
  timeoutMs: 1_000,
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: RESET_MS },
  operations: [operation],
};

let lines: Record<string, unknown>[];
let breakers: Breakers;

/** A call that answers the given result and counts how often it was invoked. */
const upstream = (result: CallResult) => vi.fn(async () => result);

async function runMany(n: number, call: () => Promise<CallResult>) {
  const outcomes = [];
  for (let i = 0; i < n; i++) outcomes.push(await breakers.run(service, operation, call));
  return outcomes;
}

const snapshot = () => breakers.snapshot('payments', 'charge');
const messages = () => lines.map((l) => l.msg);

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  lines = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  breakers = createBreakers({ log });
});

afterEach(() => {
  breakers.shutdown();
  vi.useRealTimers();
});

describe('breakers', () => {
  it('is closed with zero counts before the first call', () => {
    expect(snapshot()).toEqual({ state: 'closed', failures: 0, successes: 0, rejects: 0, nextProbeAt: null });
  });

  it('passes successes and failures through as called results', async () => {
    expect(await breakers.run(service, operation, upstream(ok))).toEqual({ kind: 'called', result: ok });
    expect(await breakers.run(service, operation, upstream(fail500))).toEqual({ kind: 'called', result: fail500 });
    expect(snapshot()).toMatchObject({ state: 'closed', failures: 1, successes: 1, rejects: 0 });
  });

  it('stays closed below the volume threshold, then opens once failures pass the threshold', async () => {
    const call = upstream(fail500);
    await runMany(3, call);
    expect(snapshot().state).toBe('closed');
    const [fourth] = await runMany(1, call);
    expect(fourth).toEqual({ kind: 'called', result: fail500 });
    expect(snapshot()).toMatchObject({ state: 'open', failures: 4 });
  });

  it('does not open while failures stay at or under the threshold percentage', async () => {
    await runMany(2, upstream(ok));
    await runMany(2, upstream(fail500));
    expect(snapshot()).toMatchObject({ state: 'closed', failures: 2, successes: 2 });
    await runMany(1, upstream(fail500));
    expect(snapshot().state).toBe('open');
  });

  it('refuses calls while open without invoking them, with retryAt at the probe time', async () => {
    await runMany(4, upstream(fail500));
    const openedAt = Date.now();
    vi.advanceTimersByTime(50);
    const call = upstream(ok);
    const outcomes = await runMany(3, call);
    expect(call).not.toHaveBeenCalled();
    for (const o of outcomes) expect(o).toEqual({ kind: 'open', retryAt: new Date(openedAt + RESET_MS) });
    expect(snapshot()).toEqual({
      state: 'open',
      failures: 4,
      successes: 0,
      rejects: 3,
      nextProbeAt: new Date(openedAt + RESET_MS),
    });
  });

  it('goes half-open after the reset timeout and closes on a successful probe', async () => {
    await runMany(4, upstream(fail500));
    vi.advanceTimersByTime(RESET_MS);
    expect(snapshot()).toMatchObject({ state: 'half_open', nextProbeAt: null });
    const probe = upstream(ok);
    expect(await breakers.run(service, operation, probe)).toEqual({ kind: 'called', result: ok });
    expect(probe).toHaveBeenCalledTimes(1);
    expect(snapshot().state).toBe('closed');
  });

  it('lets exactly one probe through while half-open; the others are put back a second later', async () => {
    await runMany(4, upstream(fail500));
    vi.advanceTimersByTime(RESET_MS);
    let answer: (r: CallResult) => void = () => {};
    const slow = vi.fn(() => new Promise<CallResult>((resolve) => (answer = resolve)));
    const probe = breakers.run(service, operation, slow);
    const other = upstream(ok);
    const refused = await breakers.run(service, operation, other);
    expect(other).not.toHaveBeenCalled();
    expect(refused).toEqual({ kind: 'open', retryAt: new Date(Date.now() + 1_000) });
    answer(ok);
    expect(await probe).toEqual({ kind: 'called', result: ok });
    expect(slow).toHaveBeenCalledTimes(1);
    expect(snapshot().state).toBe('closed');
  });

  it('re-opens on a failed probe, with a fresh reset timeout', async () => {
    await runMany(4, upstream(fail500));
    vi.advanceTimersByTime(RESET_MS);
    expect(await breakers.run(service, operation, upstream(fail500))).toEqual({ kind: 'called', result: fail500 });
    const reopenedAt = Date.now();
    expect(snapshot()).toMatchObject({ state: 'open', nextProbeAt: new Date(reopenedAt + RESET_MS) });
    const call = upstream(ok);
    expect(await breakers.run(service, operation, call)).toEqual({ kind: 'open', retryAt: new Date(reopenedAt + RESET_MS) });
    expect(call).not.toHaveBeenCalled();
    vi.advanceTimersByTime(RESET_MS);
    expect(snapshot().state).toBe('half_open');
  });

  it('never opens on non-retryable failures: a 400 is the caller’s fault', async () => {
    const call = upstream(fail400);
    const outcomes = await runMany(20, call);
    expect(call).toHaveBeenCalledTimes(20);
    for (const o of outcomes) expect(o).toEqual({ kind: 'called', result: fail400 });
    expect(snapshot()).toMatchObject({ state: 'closed', failures: 0, successes: 20 });
  });

  it('counts timeouts, network errors and 429s against the upstream', async () => {
    await runMany(1, upstream({ outcome: 'timeout', retryable: true, request }));
    await runMany(1, upstream({ outcome: 'network_error', retryable: true, request }));
    await runMany(1, upstream({ outcome: 'http_error', retryable: true, httpStatus: 429, request }));
    await runMany(1, upstream({ outcome: 'aborted', retryable: false, request }));
    expect(snapshot()).toMatchObject({ state: 'closed', failures: 3, successes: 1 });
  });

  it('waits as long as the call takes: the client enforces the timeout, not opossum', async () => {
    const slow = vi.fn(() => new Promise<CallResult>((resolve) => setTimeout(() => resolve(ok), 60_000)));
    const ran = breakers.run(service, operation, slow);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await ran).toEqual({ kind: 'called', result: ok });
    expect(snapshot()).toMatchObject({ failures: 0, successes: 1 });
  });

  it('keeps one breaker per operation', async () => {
    const other = { ...operation, name: 'refund' };
    await runMany(4, upstream(fail500));
    expect(snapshot().state).toBe('open');
    expect(await breakers.run(service, other, upstream(ok))).toEqual({ kind: 'called', result: ok });
    expect(breakers.snapshot('payments', 'refund').state).toBe('closed');
  });

  it('uses the defaults without a BreakerConfig: ten calls before it may open', async () => {
    const plain: ServiceDef = { ...service, breaker: undefined };
    const call = upstream(fail500);
    for (let i = 0; i < 9; i++) await breakers.run(plain, operation, call);
    expect(snapshot().state).toBe('closed');
    await breakers.run(plain, operation, call);
    expect(snapshot()).toMatchObject({ state: 'open', nextProbeAt: new Date(Date.now() + 30_000) });
  });

  it('forgets failures once they leave the rolling window', async () => {
    await runMany(3, upstream(fail500));
    vi.advanceTimersByTime(11_000);
    expect(snapshot()).toMatchObject({ state: 'closed', failures: 0 });
    await runMany(1, upstream(fail500));
    expect(snapshot().state).toBe('closed');
  });

  it('logs each state change once', async () => {
    await runMany(6, upstream(fail500));
    vi.advanceTimersByTime(RESET_MS);
    await runMany(1, upstream(ok));
    expect(messages()).toEqual(['breaker opened', 'breaker half-open', 'breaker closed']);
    expect(lines[0]).toMatchObject({ level: 40, component: 'breakers', service: 'payments', operation: 'charge' });
    expect(lines.slice(1).map((l) => l.level)).toEqual([30, 30]);
  });

  it('refuses to run after shutdown', async () => {
    breakers.shutdown();
    await expect(breakers.run(service, operation, upstream(ok))).rejects.toThrow(/shut down/);
  });
});

describe('breakers with an injected clock', () => {
  it('reports retryAt by that clock', async () => {
    let clock = 1_000_000;
    const log = pino({ level: 'silent' });
    const b = createBreakers({ log, now: () => clock });
    try {
      for (let i = 0; i < 4; i++) await b.run(service, operation, upstream(fail500));
      clock += 50;
      expect(await b.run(service, operation, upstream(ok))).toEqual({ kind: 'open', retryAt: new Date(1_000_000 + RESET_MS) });
    } finally {
      b.shutdown();
    }
  });
});
