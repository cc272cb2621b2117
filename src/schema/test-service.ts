// testService: one call to a service, made now through the workers' client and outside the queue
// (no job, no retry, no breaker), so an admin can try a definition or a mode before traffic does.
// It is a real call all the same: it takes the caller's rate limit as callService does.
import { randomUUID } from 'node:crypto';
import type { ServiceMode } from '../db/schema';
import { checkCall } from '../queue';
import { AttemptOutcomeEnum } from './attempt-log';
import { builder } from './builder';
import { InvalidInputError, messageOf, plainJson, RateLimitedError, refuseOverRate } from './call-service';
import { NotFoundError } from './job-actions';
import { ServiceModeEnum } from './service';
import { notFound } from './service-admin';

type TestResult = {
  kind: 'tested';
  mode: ServiceMode;
  outcome: string;
  httpStatus: number | null;
  output: unknown;
  error: string | null;
  durationMs: number;
};
const TestServiceSuccess = builder.objectRef<TestResult>('TestServiceSuccess').implement({
  description: 'One call, made now, outside the queue: no job, no retry, no breaker.',
  fields: (t) => ({
    mode: t.field({ type: ServiceModeEnum, resolve: (r) => r.mode }),
    outcome: t.field({ type: AttemptOutcomeEnum, resolve: (r) => r.outcome as never }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true }),
    output: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.output ?? null }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
  }),
});
const TYPE_OF_RESULT = {
  tested: 'TestServiceSuccess',
  not_found: 'NotFoundError',
  invalid_input: 'InvalidInputError',
  rate_limited: 'RateLimitedError',
} as const;

const TestServiceResult = builder.unionType('TestServiceResult', {
  types: [TestServiceSuccess, NotFoundError, InvalidInputError, RateLimitedError],
  resolveType: (r) => TYPE_OF_RESULT[r.kind],
});

builder.mutationFields((t) => ({
  testService: t.field({
    type: TestServiceResult,
    description: "One call through the workers' client (SSRF guard, auth, timeout), under the caller's rate limit as callService, in the service's mode unless `mode` says otherwise. Admin keys only.",
    authScopes: { admin: true },
    args: {
      name: t.arg.string({ required: true }),
      operation: t.arg.string({ required: true }),
      input: t.arg({ type: 'JSON', required: true }),
      mode: t.arg({ type: ServiceModeEnum }),
    },
    resolve: async (_root, args, ctx) => {
      const refused = refuseOverRate(ctx);
      if (refused) return refused;
      const input = plainJson(args.input ?? null);
      const checked = checkCall(ctx.registry, { service: args.name, operation: args.operation, input }, ctx.callLimits.maxInputBytes);
      if (checked.kind === 'unknown_service') return notFound(args.name);
      if (checked.kind === 'unknown_operation') return notFound(`${args.name}.${args.operation}`);
      if (checked.kind === 'invalid_input') return { ...checked, message: messageOf(checked) };
      const { operation } = checked;
      const service = args.mode ? { ...checked.service, mode: args.mode } : checked.service;
      const id = `test-${randomUUID()}`;
      const started = performance.now();
      const result = await ctx.clients[service.kind].call({
        service,
        operation,
        jobId: id,
        input,
        idempotencyKey: id,
        timeoutMs: ctx.registry.timeoutMs(service, operation),
      });
      return {
        kind: 'tested' as const,
        mode: service.mode ?? 'real',
        outcome: result.outcome,
        httpStatus: result.httpStatus ?? null,
        output: result.output ?? null,
        error: result.error ?? null,
        durationMs: Math.round(performance.now() - started),
      };
    },
  }),
}));
