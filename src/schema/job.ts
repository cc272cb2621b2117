// The Job type and how to read and follow jobs: job(id), jobs(...) as a cursor connection, and
// the jobUpdated(id) subscription. Every read is scoped to the caller's tenant.
import { ATTEMPT_OUTCOME, JOB_STATUS, type AttemptRow, type JobRow, type JobStatus } from '../db/schema';
import { followJob } from '../events/follow-job';
import { getJob, isJobId, listAttempts, listJobs } from '../queue';
import { badInput, builder } from './builder';

/** Lower-case in the database, upper-case in GraphQL, one list for both. */
function upperCaseEnum<T extends string>(name: string, values: readonly T[]) {
  return builder.enumType(name, {
    values: Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<string, { value: T }>,
  });
}

export const JobStatusEnum = upperCaseEnum('JobStatus', JOB_STATUS);
const AttemptOutcomeEnum = upperCaseEnum('AttemptOutcome', ATTEMPT_OUTCOME);

const JobAttempt = builder.objectRef<AttemptRow>('JobAttempt').implement({
  description: 'One call to the upstream service for a job.',
  fields: (t) => ({
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

export const Job = builder.objectRef<JobRow>('Job').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    status: t.expose('status', { type: JobStatusEnum }),
    input: t.expose('input', { type: 'JSON' }),
    output: t.expose('output', { type: 'JSON', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    attempts: t.exposeInt('attempts', { description: 'Attempts started so far.' }),
    maxAttempts: t.exposeInt('maxAttempts'),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    priority: t.exposeInt('priority', { description: 'Lower runs first.' }),
    runAt: t.expose('runAt', { type: 'DateTime' }),
    deadline: t.expose('deadline', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    attemptLog: t.field({
      type: [JobAttempt],
      description: 'Every attempt, oldest first.',
      resolve: (job, _args, ctx) => listAttempts(ctx.db, job.id),
    }),
  }),
});

const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const JobEdge = builder.objectRef<JobRow>('JobEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (job) => job.id }),
    node: t.field({ type: Job, resolve: (job) => job }),
  }),
});

const JobConnection = builder
  .objectRef<{ jobs: JobRow[]; hasNextPage: boolean }>('JobConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [JobEdge], resolve: (c) => c.jobs }),
      pageInfo: t.field({
        type: PageInfo,
        resolve: (c) => ({ hasNextPage: c.hasNextPage, endCursor: c.jobs.at(-1)?.id ?? null }),
      }),
    }),
  });

/** @default 20; at most 100 so one query cannot pull the whole table. */
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

builder.queryFields((t) => ({
  job: t.field({
    type: Job,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getJob(ctx.db, ctx.tenantId, id),
  }),
  jobs: t.field({
    type: JobConnection,
    description: 'Jobs, newest first.',
    args: {
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
      status: t.arg({ type: JobStatusEnum }),
      service: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const first = args.first ?? DEFAULT_PAGE_SIZE;
      if (first < 1 || first > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
      if (args.after && !isJobId(args.after)) throw badInput('after is not a cursor from this API');
      const rows = await listJobs(ctx.db, {
        tenantId: ctx.tenantId,
        status: (args.status ?? undefined) as JobStatus | undefined,
        service: args.service ?? undefined,
        after: args.after ?? undefined,
        limit: first + 1,
      });
      return { jobs: rows.slice(0, first), hasNextPage: rows.length > first };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: Job,
    description: 'The job now, then each change; completes after a final status.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => followJob(ctx.db, ctx.bus, ctx.tenantId, id),
    resolve: (job) => job,
  }),
}));
