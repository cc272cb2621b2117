// The attempt log: every call made for a job (Job.attemptLog), and across the tenant's jobs as
// the ops execution log, filtered by service, operation, outcome and time.
import { ATTEMPT_OUTCOME, type AttemptOutcome } from '../db/schema';
import { listAttemptLog, type AttemptLogEntry } from '../queue';
import { badInput, builder, upperCaseEnum } from './builder';
import { connectionType, readPage } from './connection';

export const AttemptOutcomeEnum = upperCaseEnum('AttemptOutcome', ATTEMPT_OUTCOME);

export const JobAttempt = builder.objectRef<AttemptLogEntry>('JobAttempt').implement({
  description: 'One attempt at a job: a call to the upstream, or why none was made.',
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    attempt: t.exposeInt('attempt'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
    durationMs: t.exposeInt('durationMs'),
    outcome: t.expose('outcome', { type: AttemptOutcomeEnum }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    request: t.expose('request', { type: 'JSON', nullable: true, description: 'Method, URL and headers, secrets redacted.' }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: 'Truncated.' }),
  }),
});

const AttemptConnection = connectionType('Attempt', JobAttempt, (a) => String(a.id));

const AttemptLogFilter = builder.inputType('AttemptLogFilter', {
  fields: (t) => ({
    service: t.string(),
    operation: t.string(),
    outcome: t.field({ type: AttemptOutcomeEnum }),
    since: t.field({ type: 'DateTime', description: 'Attempts started at or after this time.' }),
  }),
});

/** @default 50; at most 200 rows a page. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

builder.queryFields((t) => ({
  attemptLog: t.field({
    type: AttemptConnection,
    description: "Attempts across the tenant's jobs, newest first. Ops and admin keys only.",
    authScopes: { ops: true },
    args: {
      filter: t.arg({ type: AttemptLogFilter }),
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
    },
    resolve: (_root, { filter, first, after }, ctx) => {
      if (after != null && !/^\d{1,18}$/.test(after)) throw badInput('after is not a cursor from this API');
      return readPage(first ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, (limit) =>
        ctx.asTenant((tx) =>
          listAttemptLog(tx, {
            tenantId: ctx.tenantId,
            service: filter?.service ?? undefined,
            operation: filter?.operation ?? undefined,
            outcome: (filter?.outcome ?? undefined) as AttemptOutcome | undefined,
            since: filter?.since ?? undefined,
            after: after == null ? undefined : Number(after),
            limit,
          }),
        ),
      );
    },
  }),
}));
