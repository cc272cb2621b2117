// /healthz (the process answers) and /readyz (the database answers too, within a second, and the
// instance is not draining: else 503, saying which), for load balancers and orchestrators;
// neither goes through GraphQL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/client';

/** A readiness probe must answer before the orchestrator's own timeout (often 1 s). */
const READY_TIMEOUT_MS = 1_000;

interface HealthSources {
  database: Database;
  /** True from the stop request on: a load balancer must stop sending traffic while we drain. */
  draining: () => boolean;
}

export function handleHealth(req: IncomingMessage, res: ServerResponse, { database, draining }: HealthSources): boolean {
  const path = req.url?.split('?')[0];
  if (path === '/healthz') {
    reply(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/readyz') {
    if (draining()) {
      reply(res, 503, { status: 'draining' });
      return true;
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('database did not answer in time')), READY_TIMEOUT_MS).unref(),
    );
    Promise.race([database.ping(), timeout]).then(
      () => reply(res, 200, { status: 'ready' }),
      (err: Error) => reply(res, 503, { status: 'unavailable', database: 'down', reason: err.message }),
    );
    return true;
  }
  return false;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
