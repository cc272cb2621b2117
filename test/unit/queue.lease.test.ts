// A job's lease is fixed when it is accepted; each attempt is held to it, whatever the operation's
// timeout became since.
import { describe, expect, it } from 'vitest';
import { attemptTimeoutMs, leaseMsFor } from '../../src/queue';

describe('attemptTimeoutMs', () => {
  const lease = leaseMsFor(2_000);

  it('uses the operation’s timeout when the job’s lease covers it, a lowered one at once', () => {
    expect(attemptTimeoutMs(2_000, lease)).toBe(2_000);
    expect(attemptTimeoutMs(500, lease)).toBe(500);
  });

  it('cuts a timeout raised since the job was accepted to what its lease covers', () => {
    expect(attemptTimeoutMs(60_000, lease)).toBe(2_000);
  });
});
