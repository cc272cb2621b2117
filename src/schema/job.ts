// The Job type and how to read and follow jobs: job(id), jobs(...) as a cursor connection, and
// the jobUpdated(id) subscription. Every read is scoped to the caller's tenant.
import { JOB_STATUS, type JobRow, type JobStatus } from '../db/schema';
import { hasRole } from '../auth/caller';
import { followJob } from './follow-job';
import { clearLoaders } from './loaders';
import { getJob, isJobId, listJobSummaries, type CallbackView, type JobSummary } from '../queue';
import { JobAttempt } from './attempt-log';
import { badInput, builder, upperCaseEnum } from './builder';
import { clientError } from './client-error';
import { connectionType, readPage } from './connection';

export const JobStatusEnum = upperCaseEnum('JobStatus', JOB_STATUS);

/** A whole row, or a list's summary whose input and output load per request (loaders.ts) only when selected. */
type JobView = JobSummary & Partial<Pick<JobRow, 'input' | 'output'>>;

const JobCallback = builder.objectRef<CallbackView>('JobCallback').implement({
  description: "An async operation's return address (its token is never shown).",
  fields: (t) => ({
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a job WAITING_CALLBACK becomes TIMED_OUT; null until the provider accepted the request.',
    }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime', nullable: true, description: "When the provider's final callback arrived." }),
  }),
});

// Declared apart from its fields, which refer back to it (parent, followUps).
export const Job = builder.objectRef<JobView>('Job');

Job.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    status: t.expose('status', { type: JobStatusEnum }),
    input: t.field({ type: 'JSON', resolve: async (job, _args, ctx) => ('input' in job ? job.input : (await ctx.loaders.payloads.load(job.id))?.input) }),
    output: t.field({
      type: 'JSON',
      nullable: true,
      resolve: async (job, _args, ctx) => ('output' in job ? job.output : (await ctx.loaders.payloads.load(job.id))?.output),
    }),
    lastError: t.string({
      nullable: true,
      description: 'Why the last attempt failed. Client keys see the status or error code and a short message only.',
      resolve: (job, _args, ctx) => (hasRole(ctx.caller, 'ops') ? job.lastError : clientError(job.lastError)),
    }),
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
    callback: t.field({
      type: JobCallback,
      nullable: true,
      description: 'For a job of an async operation, once its request was sent; null otherwise.',
      resolve: (job, _args, ctx) => ctx.loaders.callbacks.load(job.id),
    }),
    parentJobId: t.exposeID('parentJobId', { nullable: true, description: "parent's id, without reading the parent." }),
    parent: t.field({
      type: Job,
      nullable: true,
      description: 'The job whose end created this one as a follow-up.',
      resolve: (job, _args, ctx) => (job.parentJobId ? ctx.loaders.summaries.load(job.parentJobId) : null),
    }),
    followUps: t.field({
      type: [Job],
      description: "The jobs this job's end created (onSuccess or onFailure), oldest first.",
      resolve: (job, _args, ctx) => ctx.loaders.followUps.load(job.id),
    }),
    attemptLog: t.field({
      type: [JobAttempt],
      nullable: true,
      authScopes: { ops: true },
      description: 'Every attempt, oldest first. Ops and admin keys only (null with a FORBIDDEN error for a client key).',
      resolve: async (job, _args, ctx) =>
        (await ctx.loaders.attempts.load(job.id)).map((a) => ({ ...a, service: job.service, operation: job.operation })),
    }),
  }),
});

const JobConnection = connectionType('Job', Job, (job) => job.id);

/** @default 20; at most 100 so one query cannot pull the whole table. */
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

builder.queryFields((t) => ({
  job: t.field({
    type: Job,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.asTenant((tx) => getJob(tx, ctx.tenantId, id)),
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
    resolve: (_root, args, ctx) => {
      if (args.after && !isJobId(args.after)) throw badInput('after is not a cursor from this API');
      return readPage(args.first ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, (limit) =>
        ctx.asTenant((tx) =>
          listJobSummaries(tx, {
            tenantId: ctx.tenantId,
            status: (args.status ?? undefined) as JobStatus | undefined,
            service: args.service ?? undefined,
            after: args.after ?? undefined,
            limit,
          }),
        ),
      );
    },
  }),
}));

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: Job,
    description: 'The job now, then each change; completes after a final status.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => followJob(ctx.asTenant, ctx.bus, ctx.tenantId, id),
    resolve: (job, _args, ctx) => {
      clearLoaders(ctx.loaders);
      return job;
    },
  }),
}));
