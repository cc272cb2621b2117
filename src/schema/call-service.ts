// callService: rate-limit, validate and enqueue, answering at once with the job (or a typed error).
// The argument limits here guard the queue: a client cannot ask for a thousand retries; keys and
// input are checked in submitJob, the caller's rate in call-limits.ts.
import type { SubmitResult } from '../queue';
import { submitJob } from '../queue';
import type { FollowUps, Violation } from '../registry';
import { MAX_FOLLOW_UPS_PER_LIST } from '../registry/follow-up-defs';
import { badInput, builder, ErrorInterface } from './builder';
import type { GraphQLContext } from './context';
import { Job } from './job';

type CallResult = SubmitResult | { kind: 'rate_limited'; retryAfterSeconds: number };
type Result<K extends CallResult['kind']> = Extract<CallResult, { kind: K }>;
type ErrorResult<K extends Exclude<CallResult['kind'], 'enqueued'>> = Result<K> & { message: string };

const MAX_ATTEMPTS_LIMIT = 100;
/** Registry names are at most 64 characters (registry/service-schema.ts): a longer one names nothing, and is not echoed back. */
const MAX_NAME_LENGTH = 64;
const PRIORITY_RANGE = 1_000_000;

const CallServiceSuccess = builder.objectRef<Result<'enqueued'>>('CallServiceSuccess').implement({
  fields: (t) => ({
    job: t.field({ type: Job, resolve: (r) => r.job }),
    deduplicated: t.exposeBoolean('deduplicated', {
      description: 'True when an earlier call with the same idempotencyKey created this job.',
    }),
  }),
});

const UnknownServiceError = builder.objectRef<ErrorResult<'unknown_service'>>('UnknownServiceError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    service: t.exposeString('service'),
  }),
});

const UnknownOperationError = builder.objectRef<ErrorResult<'unknown_operation'>>('UnknownOperationError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
  }),
});

const InputViolation = builder.objectRef<Violation>('InputViolation').implement({
  fields: (t) => ({
    path: t.exposeString('path', { description: 'JSON Pointer into the input, like /amount; or the argument, like idempotencyKey.' }),
    message: t.exposeString('message'),
  }),
});

export const InvalidInputError = builder.objectRef<ErrorResult<'invalid_input'>>('InvalidInputError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    violations: t.field({ type: [InputViolation], resolve: (r) => r.violations }),
  }),
});

const IdempotencyConflictError = builder.objectRef<ErrorResult<'idempotency_conflict'>>('IdempotencyConflictError').implement({
  description: 'The idempotencyKey already names a job for another service, operation, input or follow-ups; no job was created.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    idempotencyKey: t.exposeString('idempotencyKey'),
    jobId: t.exposeID('jobId', { description: 'The job the key already names.' }),
  }),
});

export const RateLimitedError = builder.objectRef<ErrorResult<'rate_limited'>>('RateLimitedError').implement({
  description:
    'This key (or tenant, for keyless calls) sent more calls (callService and testService together) than CALLGATE_RATE_LIMIT_PER_MINUTE; no job was created and nothing was sent.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'When the next call will be admitted.' }),
  }),
});

const TYPE_OF_RESULT = {
  enqueued: 'CallServiceSuccess',
  unknown_service: 'UnknownServiceError',
  unknown_operation: 'UnknownOperationError',
  invalid_input: 'InvalidInputError',
  idempotency_conflict: 'IdempotencyConflictError',
  rate_limited: 'RateLimitedError',
} as const satisfies Record<CallResult['kind'], string>;

const CallServiceResult = builder.unionType('CallServiceResult', {
  types: [CallServiceSuccess, UnknownServiceError, UnknownOperationError, InvalidInputError, IdempotencyConflictError, RateLimitedError],
  resolveType: (r) => TYPE_OF_RESULT[r.kind],
});

const FollowUpInput = builder.inputType('FollowUpInput', {
  description: 'A call to make when the job ends. Created in the transaction that ends it, exactly once.',
  fields: (t) => ({
    service: t.string({ required: true }),
    operation: t.string({ required: true }),
    input: t.field({
      type: 'JSON',
      required: true,
      description:
        'A template over the ended job: "{{input.x}}", "{{output.x}}", "{{error}}", "{{jobId}}". A string that is one placeholder takes the value itself (numbers and objects keep their type).',
    }),
  }),
});

const FollowUpsInput = builder.inputType('FollowUpsInput', {
  description: `Added to the operation's own follow-ups; at most ${MAX_FOLLOW_UPS_PER_LIST} per list, their inputs counted in the input size limit.`,
  fields: (t) => ({
    onSuccess: t.field({ type: [FollowUpInput], description: 'When the job SUCCEEDED.' }),
    onFailure: t.field({ type: [FollowUpInput], description: 'When the job FAILED, TIMED_OUT or EXPIRED (not when CANCELLED).' }),
  }),
});

const CallServiceInput = builder.inputType('CallServiceInput', {
  fields: (t) => ({
    service: t.string({ required: true }),
    operation: t.string({ required: true }),
    input: t.field({ type: 'JSON', required: true }),
    idempotencyKey: t.string({ description: 'A repeated key returns the first job instead of a new one.' }),
    correlationId: t.string(),
    priority: t.int({ description: 'Lower runs first. @default 0' }),
    runAt: t.field({ type: 'DateTime', description: 'Not before this time. @default now' }),
    maxAttempts: t.int(),
    deadline: t.field({ type: 'DateTime', description: 'Never sent after this time.' }),
    followUps: t.field({ type: FollowUpsInput }),
  }),
});

builder.mutationFields((t) => ({
  callService: t.field({
    type: CallServiceResult,
    args: { input: t.arg({ type: CallServiceInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (input.maxAttempts != null && (input.maxAttempts < 1 || input.maxAttempts > MAX_ATTEMPTS_LIMIT))
        throw badInput(`maxAttempts must be between 1 and ${MAX_ATTEMPTS_LIMIT}`);
      if (input.priority != null && Math.abs(input.priority) > PRIORITY_RANGE)
        throw badInput(`priority must be between -${PRIORITY_RANGE} and ${PRIORITY_RANGE}`);
      if (input.deadline && input.deadline.getTime() <= Date.now()) throw badInput('deadline is in the past');
      const named = [input, ...(input.followUps?.onSuccess ?? []), ...(input.followUps?.onFailure ?? [])];
      if (named.some((n) => n.service.length > MAX_NAME_LENGTH || n.operation.length > MAX_NAME_LENGTH))
        throw badInput(`service and operation names are at most ${MAX_NAME_LENGTH} characters`);
      const refused = refuseOverRate(ctx);
      if (refused) return refused;
      const result = await submitJob(
        ctx.enqueue,
        ctx.registry,
        {
          ...input,
          input: plainJson(input.input ?? null),
          followUps: input.followUps ? (plainJson(input.followUps) as Partial<FollowUps>) : null,
          tenantId: ctx.tenantId,
        },
        { maxInputBytes: ctx.callLimits.maxInputBytes },
      );
      if (result.kind === 'enqueued' && !result.deduplicated) ctx.metrics.jobEnqueued(input.service, input.operation);
      return result.kind === 'enqueued' ? result : { ...result, message: messageOf(result) };
    },
  }),
}));

/** Inline JSON literals arrive as null-prototype objects; storing, comparing and validating want plain JSON. */
export function plainJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * Takes one call from the caller's bucket (call-limits.ts); the error when it is empty. callService
 * and testService both make calls that reach an upstream, so they draw on the same bucket.
 */
export function refuseOverRate(ctx: Pick<GraphQLContext, 'callLimits' | 'caller' | 'tenantId'>): ErrorResult<'rate_limited'> | undefined {
  const admitted = ctx.callLimits.rateLimiter.take(ctx.caller.keyId ?? `tenant:${ctx.tenantId}`);
  if (admitted.ok) return undefined;
  const { retryAfterSeconds } = admitted;
  return { kind: 'rate_limited', retryAfterSeconds, message: `too many calls: retry in ${retryAfterSeconds} s` };
}

export function messageOf(r: Exclude<SubmitResult, { kind: 'enqueued' }>): string {
  switch (r.kind) {
    case 'unknown_service':
      return `unknown service "${r.service}"`;
    case 'unknown_operation':
      return `service "${r.service}" has no operation "${r.operation}"`;
    case 'invalid_input':
      return `invalid input: ${r.violations.map((v) => `${v.path} ${v.message}`).join('; ')}`;
    case 'idempotency_conflict':
      return `idempotencyKey already names job ${r.jobId} for another service, operation, input or follow-ups`;
  }
}
