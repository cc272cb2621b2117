// Shared by the hostile-request tests: a gateway with one mock service, raw POSTs (any body, any
// headers) and the side effects every case checks for: how many jobs exist.
import { count } from 'drizzle-orm';
import { jobs } from '../../src/db/schema';
import type { TestApp } from '../helpers/app';

export const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [1, 2] }
`;

export const CALL = `mutation($input: CallServiceInput!) {
  callService(input: $input) {
    __typename
    ... on Error { message }
    ... on CallServiceSuccess { deduplicated job { id } }
    ... on InvalidInputError { violations { path message } }
    ... on IdempotencyConflictError { idempotencyKey jobId }
    ... on RateLimitedError { retryAfterSeconds }
  }
}`;

export async function jobCount(t: TestApp): Promise<number> {
  const [row] = await t.app.database.db.select({ n: count() }).from(jobs);
  return row!.n;
}

/** A POST with exactly this body and these headers; the answer's status, headers and text. */
export async function rawPost(t: TestApp, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(t.url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function callInput(input: unknown, extra: Record<string, unknown> = {}) {
  return { input: { service: 'mock', operation: 'echo', input, ...extra } };
}
