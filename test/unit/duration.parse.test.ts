import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['90m', 5_400_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['30d', MAX_DURATION_MS],
    [' 1h ', 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'is not a duration: use a whole number and a unit s, m, h or d'],
    ['1', 'is not a duration'],
    ['h', 'is not a duration'],
    ['1.5h', 'is not a duration'],
    ['-1h', 'is not a duration'],
    ['1w', 'is not a duration'],
    ['1h30m', 'is not a duration'],
    ['0s', 'must be longer than 0'],
    ['721h', 'is longer than the maximum of 30d'],
    ['31d', 'is longer than the maximum of 30d'],
  ])('rejects %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(message);
  });

  it('takes other bounds when given (retention: 1 minute to 10 years)', () => {
    const bounds = { minMs: 60_000, maxMs: 3_650 * 86_400_000 };
    expect(parseDuration('90d', bounds)).toBe(90 * 86_400_000);
    expect(() => parseDuration('30s', bounds)).toThrow('is shorter than the minimum of 1m');
    expect(() => parseDuration('3651d', bounds)).toThrow('is longer than the maximum of 3650d');
  });

  it('rejects what is not a string', () => {
    expect(() => parseDuration(3600)).toThrow('a duration is a string');
  });
});

describe('formatDuration', () => {
  it('spells a duration with its largest exact unit', () => {
    expect([3_600_000, 5_400_000, 90_000, 604_800_000].map(formatDuration)).toEqual(['1h', '90m', '90s', '7d']);
  });
});
