// The registered services as ops see them: services and service(name), each operation with its
// effective timeout and live breaker status. Auth is shown by kind only; secrets never leave the server.
import { SERVICE_KIND, SERVICE_MODE, SERVICE_SOURCE } from '../db/schema';
import { HTTP_METHODS, type AuthConfig, type OperationDef, type ServiceDef } from '../registry';
import { BREAKER_STATE, type BreakerSnapshot } from '../worker/breakers';
import { builder, upperCaseEnum } from './builder';

export const ServiceKindEnum = upperCaseEnum('ServiceKind', SERVICE_KIND);
export const HttpMethodEnum = upperCaseEnum('HttpMethod', HTTP_METHODS);
export const ServiceModeEnum = upperCaseEnum('ServiceMode', SERVICE_MODE);
const ServiceSourceEnum = upperCaseEnum('ServiceSource', SERVICE_SOURCE);
const BreakerStateEnum = upperCaseEnum('BreakerState', BREAKER_STATE);

export const BreakerStatus = builder.objectRef<BreakerSnapshot>('BreakerStatus').implement({
  description: "An operation's circuit breaker; counts cover its rolling window (the last 10 s).",
  fields: (t) => ({
    state: t.expose('state', { type: BreakerStateEnum }),
    failures: t.exposeInt('failures', { description: 'Retryable failures (network, timeout, 5xx, 408, 429).' }),
    successes: t.exposeInt('successes', { description: 'Calls that did not count as failures, non-retryable errors included.' }),
    rejects: t.exposeInt('rejects', { description: 'Calls refused while open; their jobs were put back.' }),
    nextProbeAt: t.expose('nextProbeAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an open breaker lets one probe call through.',
    }),
  }),
});

const Operation = builder.objectRef<{ service: ServiceDef; operation: OperationDef }>('Operation').implement({
  fields: (t) => ({
    name: t.string({ resolve: ({ operation }) => operation.name }),
    method: t.field({ type: HttpMethodEnum, resolve: ({ operation }) => operation.method }),
    path: t.string({
      description: 'Like /charges/{chargeId}; each {name} is taken from the job input.',
      resolve: ({ operation }) => operation.path,
    }),
    timeoutMs: t.int({
      description: "The timeout of one attempt: the operation's own, else the service's.",
      resolve: ({ service, operation }, _args, ctx) => ctx.registry.timeoutMs(service, operation),
    }),
    inputSchema: t.field({ type: 'JSON', nullable: true, resolve: ({ operation }) => operation.input ?? null }),
    outputSchema: t.field({ type: 'JSON', nullable: true, resolve: ({ operation }) => operation.output ?? null }),
    async: t.field({
      type: 'JSON',
      nullable: true,
      description: 'For an async operation, its async block (verify names the secret variable, never its value); null otherwise.',
      resolve: ({ operation }) => operation.async ?? null,
    }),
    onSuccess: t.field({
      type: ['JSON'],
      description: 'Follow-ups of every job that succeeds: { service, operation, input } each, input a template.',
      resolve: ({ operation }) => operation.onSuccess ?? [],
    }),
    onFailure: t.field({
      type: ['JSON'],
      description: 'Follow-ups of every job that fails, times out or expires.',
      resolve: ({ operation }) => operation.onFailure ?? [],
    }),
    breaker: t.field({
      type: BreakerStatus,
      resolve: ({ service, operation }, _args, ctx) => ctx.breakers.snapshot(service.name, operation.name),
    }),
  }),
});

export const Service = builder.objectRef<ServiceDef>('Service').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: ServiceKindEnum }),
    baseUrl: t.exposeString('baseUrl', { nullable: true }),
    auth: t.string({
      nullable: true,
      description: 'How calls authenticate: bearer, apiKeyHeader or basic. The secrets themselves are never exposed.',
      resolve: (s) => (s.auth ? authKindOf(s.auth) : null),
    }),
    timeoutMs: t.exposeInt('timeoutMs', { description: 'Default timeout of one attempt; an operation may override it.' }),
    mode: t.field({
      type: ServiceModeEnum,
      description: 'MOCK: jobs are answered by the operations\' mock config, with no upstream call (setServiceMode).',
      resolve: (s) => s.mode ?? 'real',
    }),
    source: t.field({
      type: ServiceSourceEnum,
      description: "FILE: the operator's services file, shared by every tenant and read-only here; API: the caller's tenant's own.",
      resolve: (s) => s.source ?? 'file',
    }),
    operations: t.field({
      type: [Operation],
      resolve: (service) => service.operations.map((operation) => ({ service, operation })),
    }),
  }),
});

function authKindOf(auth: AuthConfig): string {
  if ('bearerTokenEnv' in auth) return 'bearer';
  if ('apiKeyHeader' in auth) return 'apiKeyHeader';
  return 'basic';
}

builder.queryFields((t) => ({
  services: t.field({
    type: [Service],
    description: 'Every active service, as the registry holds it. Ops and admin keys only (base URLs are internal).',
    authScopes: { ops: true },
    resolve: (_root, _args, ctx) => ctx.registry.list(),
  }),
  service: t.field({
    type: Service,
    nullable: true,
    authScopes: { ops: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => ctx.registry.service(name) ?? null,
  }),
}));
