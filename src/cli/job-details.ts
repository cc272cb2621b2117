// `callgate jobs show ID`: one job as ops read it in an incident, with what GraphQL's Job links to:
// its parent, the follow-ups it declares and those its end created, an async job's callback times,
// and its attempts. The same reads as the Job type's loaders, for one job.
import type { Db } from '../db/client';
import { DEFAULT_TENANT_ID, type AttemptRow } from '../db/schema';
import { getJob, getJobSummaries, listAttempts, listCallbacksOfJobs, listFollowUpsOfJobs, type JobSummary } from '../queue';
import type { FollowUps } from '../registry';
import { notFound } from './command';
import { ERROR_WIDTH, formatTime, NONE, renderFields, renderTable, truncate } from './table';

export async function showJob(db: Db, id: string): Promise<{ text: string; json: unknown }> {
  const job = await getJob(db, DEFAULT_TENANT_ID, id);
  if (!job) throw notFound(`job ${id} not found`);
  const [[parent], followUpJobs, [callback], attempts] = await Promise.all([
    job.parentJobId ? getJobSummaries(db, DEFAULT_TENANT_ID, [job.parentJobId]) : [],
    listFollowUpsOfJobs(db, DEFAULT_TENANT_ID, [job.id]),
    listCallbacksOfJobs(db, DEFAULT_TENANT_ID, [job.id]),
    listAttempts(db, job.id),
  ]);
  const fields = renderFields([
    ['id', job.id],
    ['status', job.status],
    ['service', `${job.service}.${job.operation}`],
    ['attempts', `${job.attempts}/${job.maxAttempts}`],
    ['priority', String(job.priority)],
    ['created', formatTime(job.createdAt)],
    ['run at', formatTime(job.runAt)],
    ['started', formatTime(job.startedAt)],
    ['completed', formatTime(job.completedAt)],
    ['deadline', formatTime(job.deadline)],
    ['locked by', job.lockedBy ?? NONE],
    ['idempotency key', job.idempotencyKey ?? NONE],
    ['correlation id', job.correlationId ?? NONE],
    ['parent', parent ? `${parent.id} (${parent.service}.${parent.operation}, ${parent.status})` : (job.parentJobId ?? NONE)],
    ['follow-ups', declaredFollowUps(job.followUps as FollowUps | null)],
    // Only an async operation's job has a return address.
    ...(callback
      ? ([
          ['callback due', formatTime(callback.expiresAt)],
          ['callback received', formatTime(callback.receivedAt)],
        ] as const)
      : []),
    ['last error', job.lastError ?? NONE],
    ['input', JSON.stringify(job.input)],
    ['output', job.output === null ? NONE : JSON.stringify(job.output)],
  ]);
  const sections = [fields, ...(followUpJobs.length ? [followUpTable(followUpJobs)] : []), attempts.length ? attemptTable(attempts) : 'no attempts yet'];
  return {
    text: sections.join('\n\n'),
    // `followUps` is the row's declared lists; the jobs they created are `followUpJobs`.
    json: { ...job, parent: parent ?? null, followUpJobs, callback: callback ? { expiresAt: callback.expiresAt, receivedAt: callback.receivedAt } : null, attemptLog: attempts },
  };
}

/** What the job's end will create: `onSuccess: a.b, c.d; onFailure: -`, or - when it declares none. */
function declaredFollowUps(followUps: FollowUps | null): string {
  if (!followUps) return NONE;
  const names = (list: FollowUps['onSuccess']) => (list.length ? list.map((f) => `${f.service}.${f.operation}`).join(', ') : NONE);
  return `onSuccess: ${names(followUps.onSuccess)}; onFailure: ${names(followUps.onFailure)}`;
}

function followUpTable(jobs: readonly JobSummary[]): string {
  return renderTable(
    [{ header: 'FOLLOW-UP JOB' }, { header: 'SLOT' }, { header: 'STATUS' }, { header: 'SERVICE' }, { header: 'CREATED' }],
    jobs.map((j) => [j.id, j.followUpSlot ?? NONE, j.status, `${j.service}.${j.operation}`, formatTime(j.createdAt)]),
  );
}

function attemptTable(attempts: readonly AttemptRow[]): string {
  return renderTable(
    [
      { header: '#', align: 'right' },
      { header: 'OUTCOME' },
      { header: 'HTTP', align: 'right' },
      { header: 'MS', align: 'right' },
      { header: 'STARTED' },
      { header: 'ERROR' },
    ],
    attempts.map((a) => [String(a.attempt), a.outcome, a.httpStatus === null ? NONE : String(a.httpStatus), String(a.durationMs), formatTime(a.startedAt), truncate(a.error, ERROR_WIDTH)]),
  );
}
