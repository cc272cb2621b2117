// Durations as ops type them ("90s", "90m", "1h", "7d"), for the stats windows of the API and the
// CLI (positive, at most 30 days) and the retention settings (their own bounds): one number, one unit.

const UNIT_MS = Object.freeze({ s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 });
type Unit = keyof typeof UNIT_MS;

/** Longer windows would scan weeks of jobs and attempts per request; retention keeps about that much anyway. */
export const MAX_DURATION_MS = 30 * UNIT_MS.d;

const FORMAT = /^(\d{1,9})([smhd])$/;
const EXAMPLES = 'a whole number and a unit s, m, h or d, like "90s", "90m", "1h" or "7d"';

export class DurationError extends Error {
  override name = 'DurationError';
}

interface DurationBounds {
  /** @default 1 ms: any positive duration */
  minMs?: number;
  /** @default MAX_DURATION_MS */
  maxMs?: number;
}

/** Milliseconds in `text`; throws a DurationError that says what is wrong and what is expected. */
export function parseDuration(text: unknown, { minMs = 1, maxMs = MAX_DURATION_MS }: DurationBounds = {}): number {
  if (typeof text !== 'string') throw new DurationError(`a duration is a string: ${EXAMPLES}`);
  const match = FORMAT.exec(text.trim());
  if (!match) throw new DurationError(`"${text}" is not a duration: use ${EXAMPLES}`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  if (ms <= 0) throw new DurationError(`"${text}" is not a duration: it must be longer than 0`);
  if (ms < minMs) throw new DurationError(`"${text}" is shorter than the minimum of ${formatDuration(minMs)}`);
  if (ms > maxMs) throw new DurationError(`"${text}" is longer than the maximum of ${formatDuration(maxMs)}`);
  return ms;
}

/** The shortest exact spelling: 3_600_000 → "1h", 5_400_000 → "90m". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
