// Whether an error means "the database cannot be reached right now" (refused or dropped
// connection, server shutting down or starting up, connect timeout) rather than a bad statement.
// The worker keeps an outcome it could not write for such errors only, and the API answers them
// as DATABASE_UNAVAILABLE instead of an internal error.

/** postgres.js's own codes for a connection that could not be made or was lost. */
const DRIVER_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is there but not serving: class 08 (connection exception),
 * 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now: starting up or shutting down),
 * 53300 (too many connections).
 */
const unavailableState = (code: string) => code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300';

/** The error this one wraps: drizzle's "Failed query" keeps the driver's as `cause`, GraphQL's as `originalError`. */
const wrapped = (e: object): unknown => (e as { originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause;

/** The `code` of this error and of each error it wraps (driver codes and SQLSTATEs), outermost first. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = wrapped(e), depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = wrapped(e), depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DRIVER_CODES.has(code) || unavailableState(code))) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}
