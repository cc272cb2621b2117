// /healthz (the process answers) and /readyz (the database answers too, within a second), for
// load balancers and orchestrators; neither goes through GraphQL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/client';

/** A readiness probe must answer before the orchestrator's own timeout (often 1 s). */
const READY_TIMEOUT_MS = 1_000;

export function handleHealth(req: IncomingMessage, res: ServerResponse, database: Database): boolean {
  const path = req.url?.split('?')[0];
  if (path === '/healthz') {
    reply(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/readyz') {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('database did not answer in time')), READY_TIMEOUT_MS).unref(),
    );
    Promise.race([database.ping(), timeout]).then(
      () => reply(res, 200, { status: 'ready' }),
      (err: Error) => reply(res, 503, { status: 'unavailable', reason: err.message }),
    );
    return true;
  }
  return false;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
