// The worker's preparation of an async operation's attempt: a fresh return address stored (hashed)
// before the request goes out, and the callback deadline the 2xx starts.
import type { CallbackAddress } from '../clients/types';
import type { Db } from '../db/client';
import type { AsyncConfig, JobRow } from '../db/schema';
import { parseDuration } from '../duration';
import { armCallback } from '../queue';
import type { FinalResult } from './result';
import { newCallbackToken, returnAddress } from './token';

/** The attempt's return address and correlation id to send, or why nothing is to be sent (armCallback). */
export type ReturnAddress = { kind: 'armed'; address: CallbackAddress } | { kind: 'settled'; result: FinalResult } | { kind: 'fenced' };

export async function armReturnAddress(db: Db, job: JobRow & { claimToken: string }, publicUrl: string): Promise<ReturnAddress> {
  const { token, hash } = newCallbackToken();
  const armed = await armCallback(db, { jobId: job.id, claimToken: job.claimToken, attempt: job.attempts, tokenHash: hash });
  if (armed.kind !== 'armed') return armed;
  return { kind: 'armed', address: { url: returnAddress(publicUrl, token), correlationId: job.correlationId ?? job.id } };
}

/** The registry checked the duration when the operation was loaded. */
export function callbackTimeoutMs(config: AsyncConfig): number {
  return parseDuration(config.timeout, { minMs: 0 });
}
