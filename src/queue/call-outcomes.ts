// Which attempt outcomes were calls to the upstream, and which of those failed: the stats and the
// failing-services view judge an upstream by its calls only. breaker_open, lost, aborted and
// expired attempts made no call (or none that ended), so they say nothing about the upstream.
import type { AttemptOutcome } from '../db/schema';
import { sql } from 'drizzle-orm';

export const CALL_OUTCOMES = Object.freeze(['success', 'http_error', 'timeout', 'network_error', 'invalid_response'] as const) satisfies readonly AttemptOutcome[];

/** `outcome in (<call outcomes>)`, for attempts aliased `a`. Constants, so written into the SQL. */
export const IS_CALL = sql.raw(`a.outcome in (${CALL_OUTCOMES.map((o) => `'${o}'`).join(', ')})`);
