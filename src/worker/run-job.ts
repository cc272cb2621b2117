// runJob: one attempt of one claimed job: call the upstream through its client, then record the
// outcome and the attempt in one transaction. Never throws: a failure lands in the job's lastError.
import type { CallResult, UpstreamClient } from '../clients/types';
import type { Db } from '../db/client';
import type { JobRow, ServiceKind } from '../db/schema';
import type { Logger } from '../logger';
import { completeJob, failJob } from '../queue';
import type { Registry } from '../registry';

export interface RunJobDeps {
  db: Db;
  registry: Registry;
  clients: Record<ServiceKind, UpstreamClient>;
  workerId: string;
  log: Logger;
}

export async function runJob(deps: RunJobDeps, job: JobRow): Promise<void> {
  const { db, registry, workerId } = deps;
  const log = deps.log.child({ jobId: job.id, service: job.service, operation: job.operation, attempt: job.attempts });
  try {
    const service = registry.service(job.service);
    const operation = service && registry.operation(job.service, job.operation);
    if (!service || !operation) {
      // Removed from the registry after the job was accepted: nothing was sent, so no attempt row.
      const error = `${job.service}.${job.operation} is no longer registered`;
      await failJob(db, { jobId: job.id, workerId, error });
      log.warn({ error }, 'job failed');
      return;
    }
    const startedAt = new Date();
    const result = await callSafely(deps.clients[service.kind], {
      service,
      operation,
      jobId: job.id,
      input: job.input,
      idempotencyKey: job.idempotencyKey ?? job.id,
      timeoutMs: registry.timeoutMs(service, operation),
    });
    const finishedAt = new Date();
    const attempt = {
      startedAt,
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      outcome: result.outcome,
      httpStatus: result.httpStatus ?? null,
      request: result.request,
      responseBody: result.responseBody ?? null,
      error: result.error ?? null,
    };
    const finish = { jobId: job.id, workerId, attempt };
    const saved =
      result.outcome === 'success'
        ? await completeJob(db, { ...finish, output: result.output ?? null })
        : await failJob(db, { ...finish, error: result.error ?? result.outcome });
    if (!saved) log.warn('job was no longer ours to finish (lease lost)');
    else log.info({ status: saved.status, outcome: result.outcome, durationMs: attempt.durationMs }, 'job finished');
  } catch (err) {
    // The database failed us; the job stays RUNNING until its lease expires and is run again.
    log.error({ err }, 'could not record the job outcome');
  }
}

async function callSafely(client: UpstreamClient, req: Parameters<UpstreamClient['call']>[0]): Promise<CallResult> {
  try {
    return await client.call(req);
  } catch (err) {
    return {
      outcome: 'network_error',
      error: `client error: ${(err as Error).message}`,
      request: { method: req.operation.method, url: `${req.service.name}/${req.operation.name}`, headers: {} },
    };
  }
}
