// cancelJob and retryJob. A job that does not exist (or is another tenant's) and a transition the
// job's status does not allow are typed results, so a client can tell them apart from a bug.
import type { JobStatus } from '../db/schema';
import { CANCELLABLE, cancelJob, RETRYABLE, retryJob, type ActionResult } from '../queue';
import { builder, ErrorInterface } from './builder';
import { Job, JobStatusEnum } from './job';

type Result<K extends ActionResult['kind']> = Extract<ActionResult, { kind: K }>;
type ErrorResult<K extends Exclude<ActionResult['kind'], 'done'>> = Result<K> & { message: string };

const JobActionSuccess = builder.objectRef<Result<'done'>>('JobActionSuccess').implement({
  fields: (t) => ({ job: t.field({ type: Job, resolve: (r) => r.job }) }),
});

/** Also answers for another tenant's job or key: a caller cannot tell "not yours" from "none". */
export const NotFoundError = builder.objectRef<ErrorResult<'not_found'>>('NotFoundError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    id: t.exposeID('id'),
  }),
});

const InvalidTransitionError = builder.objectRef<ErrorResult<'invalid_transition'>>('InvalidTransitionError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    id: t.exposeID('id'),
    status: t.expose('status', { type: JobStatusEnum }),
  }),
});

const TYPE_OF_RESULT = {
  done: 'JobActionSuccess',
  not_found: 'NotFoundError',
  invalid_transition: 'InvalidTransitionError',
} as const satisfies Record<ActionResult['kind'], string>;

const JobActionResult = builder.unionType('JobActionResult', {
  types: [JobActionSuccess, NotFoundError, InvalidTransitionError],
  resolveType: (r) => TYPE_OF_RESULT[r.kind],
});

const describe = (statuses: readonly JobStatus[]) => statuses.map((s) => s.toUpperCase()).join(', ');

function withMessage(r: ActionResult) {
  switch (r.kind) {
    case 'done':
      return r;
    case 'not_found':
      return { ...r, message: `job ${r.id} not found` };
    case 'invalid_transition': {
      const allowed = describe(r.action === 'cancel' ? CANCELLABLE : RETRYABLE);
      return { ...r, message: `cannot ${r.action} a ${r.status.toUpperCase()} job (only ${allowed})` };
    }
  }
}

builder.mutationFields((t) => ({
  cancelJob: t.field({
    type: JobActionResult,
    description: `${describe(CANCELLABLE)} → CANCELLED; a running call is aborted. Ops and admin keys only.`,
    authScopes: { ops: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const result = await ctx.asTenant((tx) => cancelJob(tx, ctx.tenantId, id));
      if (result.kind === 'done') ctx.metrics.jobFinished(result.job.service, result.job.operation, result.job.status);
      return withMessage(result);
    },
  }),
  retryJob: t.field({
    type: JobActionResult,
    description: `${describe(RETRYABLE)} → PENDING with a fresh attempt budget, its operation's current timeout and no deadline. Ops and admin keys only.`,
    authScopes: { ops: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => withMessage(await ctx.asTenant((tx) => retryJob(tx, ctx.tenantId, id, ctx.registry))),
  }),
}));
