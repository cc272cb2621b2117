// The pino root logger; modules take a child (`log.child({ component: 'worker' })`). Errors are
// logged without the values bound to a failed query: they hold job input and outputs.
import { DrizzleQueryError } from 'drizzle-orm';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `destination`: stdout unless a test collects the lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'callgate' },
      redact: { paths: ['*.authorization', '*.headers.authorization', '*.token'], censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * pino's error serializer, except for a failed query (or a GraphQL error wrapping one): it keeps
 * its SQL (placeholders only) and the database's error, but not `params`, which drizzle also
 * spells into the message and the stack.
 */
function serializeError(err: unknown): unknown {
  const failed = failedQueryIn(err);
  if (!failed) return err instanceof Error ? pino.stdSerializers.err(err) : err;
  return {
    type: (err as Error).name,
    message: `Failed query: ${failed.query}`,
    path: (err as { path?: unknown }).path,
    cause: failed.cause instanceof Error ? databaseError(failed.cause) : undefined,
  };
}

/**
 * The driver's error by name, message and SQLSTATE only: PGlite's errors also carry the query's
 * `params`, and PostgreSQL's `detail` can quote a row's values (`Key (…)=(…) already exists`).
 */
function databaseError(cause: Error): { type: string; message: string; code?: unknown } {
  return { type: cause.name, message: cause.message, code: (cause as { code?: unknown }).code };
}

/** How an error reads inside a log message: a failed query by its SQL only. */
export function errorMessage(err: unknown): string {
  const failed = failedQueryIn(err);
  return failed ? `Failed query: ${failed.query}` : String(err);
}

/** Yoga wraps resolver errors in a GraphQLError (originalError); drizzle keeps the driver's in cause. */
function failedQueryIn(err: unknown, depth = 0): DrizzleQueryError | undefined {
  if (err instanceof DrizzleQueryError) return err;
  if (!(err instanceof Error) || depth >= 3) return undefined;
  return failedQueryIn((err as { originalError?: unknown }).originalError ?? err.cause, depth + 1);
}
