// callService: validate and enqueue, answering at once with the job (or a typed error). The
// argument limits here guard the queue: a client cannot ask for a thousand retries or a key that
// bloats the unique index.
import type { SubmitResult } from '../queue';
import { submitJob } from '../queue';
import type { Violation } from '../registry';
import { badInput, builder, ErrorInterface } from './builder';
import { Job } from './job';

type Result<K extends SubmitResult['kind']> = Extract<SubmitResult, { kind: K }>;
type ErrorResult<K extends Exclude<SubmitResult['kind'], 'enqueued'>> = Result<K> & { message: string };

const MAX_ATTEMPTS_LIMIT = 100;
const MAX_KEY_LENGTH = 255;
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
    path: t.exposeString('path', { description: 'JSON Pointer into the input, like /amount.' }),
    message: t.exposeString('message'),
  }),
});

const InvalidInputError = builder.objectRef<ErrorResult<'invalid_input'>>('InvalidInputError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    violations: t.field({ type: [InputViolation], resolve: (r) => r.violations }),
  }),
});

const TYPE_OF_RESULT = {
  enqueued: 'CallServiceSuccess',
  unknown_service: 'UnknownServiceError',
  unknown_operation: 'UnknownOperationError',
  invalid_input: 'InvalidInputError',
} as const satisfies Record<SubmitResult['kind'], string>;

const CallServiceResult = builder.unionType('CallServiceResult', {
  types: [CallServiceSuccess, UnknownServiceError, UnknownOperationError, InvalidInputError],
  resolveType: (r) => TYPE_OF_RESULT[r.kind],
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
  }),
});

builder.mutationFields((t) => ({
  callService: t.field({
    type: CallServiceResult,
    args: { input: t.arg({ type: CallServiceInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (input.maxAttempts != null && (input.maxAttempts < 1 || input.maxAttempts > MAX_ATTEMPTS_LIMIT))
        throw badInput(`maxAttempts must be between 1 and ${MAX_ATTEMPTS_LIMIT}`);
      for (const key of ['idempotencyKey', 'correlationId'] as const) {
        const value = input[key];
        if (value != null && (value.length === 0 || value.length > MAX_KEY_LENGTH))
          throw badInput(`${key} must be 1 to ${MAX_KEY_LENGTH} characters`);
      }
      if (input.priority != null && Math.abs(input.priority) > PRIORITY_RANGE)
        throw badInput(`priority must be between -${PRIORITY_RANGE} and ${PRIORITY_RANGE}`);
      if (input.deadline && input.deadline.getTime() <= Date.now()) throw badInput('deadline is in the past');
      const result = await submitJob(ctx.db, ctx.registry, {
        ...input,
        // Inline JSON literals arrive as null-prototype objects; storing wants plain JSON.
        input: JSON.parse(JSON.stringify(input.input ?? null)) as unknown,
        tenantId: ctx.tenantId,
      });
      if (result.kind === 'enqueued' && !result.deduplicated) ctx.metrics.jobEnqueued(input.service, input.operation);
      return result.kind === 'enqueued' ? result : { ...result, message: messageOf(result) };
    },
  }),
}));

function messageOf(r: Exclude<SubmitResult, { kind: 'enqueued' }>): string {
  switch (r.kind) {
    case 'unknown_service':
      return `unknown service "${r.service}"`;
    case 'unknown_operation':
      return `service "${r.service}" has no operation "${r.operation}"`;
    case 'invalid_input':
      return `input does not match the operation's schema: ${r.violations.map((v) => `${v.path} ${v.message}`).join('; ')}`;
  }
}
