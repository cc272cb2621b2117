// The admin service API: registerService, updateService, deleteService, setServiceMode and
// testService, and the mockTemplates to start from. A definition is checked by the registry's own
// file validator (one set of rules, the same located messages); statements in registry/services.ts.
import { forbiddenCallbackEnvNames, forbiddenEnvNames, tenantSecretPrefix } from '../registry/tenant-secrets';
import { randomUUID } from 'node:crypto';
import { isPlatformAdmin } from '../auth/caller';
import { MOCK_TEMPLATES, mockTemplate } from '../clients/mock-templates';
import { SERVICE_MODE, SERVICE_SOURCE, type ServiceMode } from '../db/schema';
import {
  countOpenJobs,
  deleteApiService,
  insertApiService,
  parseServiceDefinition,
  replaceApiService,
  setServiceMode,
  type ServiceDef,
} from '../registry';
import { AttemptOutcomeEnum } from './attempt-log';
import { builder, ErrorInterface, upperCaseEnum } from './builder';
import { InvalidInputError } from './call-service';
import type { GraphQLContext } from './context';
import { NotFoundError } from './job-actions';
import { HttpMethodEnum, Service, ServiceKindEnum } from './service';

const ServiceModeEnum = upperCaseEnum('ServiceMode', SERVICE_MODE);
const ServiceSourceEnum = upperCaseEnum('ServiceSource', SERVICE_SOURCE);

builder.objectFields(Service, (t) => ({
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
}));

type NotFound = { kind: 'not_found'; id: string; message: string };
type Invalid = { kind: 'invalid'; problems: string[]; message: string };
type ReadOnly = { kind: 'read_only'; service: string; message: string };
type NameTaken = { kind: 'name_taken'; service: string; message: string };
type InUse = { kind: 'in_use'; service: string; openJobs: number; message: string };
type Saved = { kind: 'saved'; service: ServiceDef };

const notFound = (name: string): NotFound => ({ kind: 'not_found', id: name, message: `service "${name}" not found` });
const readOnly = (name: string): ReadOnly => ({
  kind: 'read_only',
  service: name,
  message: `service "${name}" comes from the services file: change it there (the API may not)`,
});

const InvalidServiceError = builder.objectRef<Invalid>('InvalidServiceError').implement({
  description: 'The definition breaks the rules of the services file; nothing was saved.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.exposeString('message'),
    problems: t.exposeStringList('problems', { description: 'Each names its service, operation and field, as for the file.' }),
  }),
});
const ReadOnlyServiceError = builder.objectRef<ReadOnly>('ReadOnlyServiceError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({ message: t.exposeString('message'), service: t.exposeString('service') }),
});
const ServiceNameTakenError = builder.objectRef<NameTaken>('ServiceNameTakenError').implement({
  description: 'Names are unique across the file and every tenant, since callService and jobs name the service.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ message: t.exposeString('message'), service: t.exposeString('service') }),
});
const ServiceInUseError = builder.objectRef<InUse>('ServiceInUseError').implement({
  description: 'Jobs still pending, running or waiting for a callback would call the service: cancel them or let them finish.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ message: t.exposeString('message'), service: t.exposeString('service'), openJobs: t.exposeInt('openJobs') }),
});
const ServiceSuccess = builder.objectRef<Saved>('ServiceSuccess').implement({
  fields: (t) => ({ service: t.field({ type: Service, resolve: (r) => r.service }) }),
});
const DeleteServiceSuccess = builder.objectRef<{ kind: 'deleted'; name: string }>('DeleteServiceSuccess').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

const TYPE_OF = {
  saved: 'ServiceSuccess',
  deleted: 'DeleteServiceSuccess',
  not_found: 'NotFoundError',
  invalid: 'InvalidServiceError',
  read_only: 'ReadOnlyServiceError',
  name_taken: 'ServiceNameTakenError',
  in_use: 'ServiceInUseError',
} as const;
const resolveType = (r: { kind: keyof typeof TYPE_OF }) => TYPE_OF[r.kind];

const RegisterServiceResult = builder.unionType('RegisterServiceResult', {
  types: [ServiceSuccess, InvalidServiceError, ServiceNameTakenError],
  resolveType,
});
const UpdateServiceResult = builder.unionType('UpdateServiceResult', {
  types: [ServiceSuccess, InvalidServiceError, NotFoundError, ReadOnlyServiceError],
  resolveType,
});
const DeleteServiceResult = builder.unionType('DeleteServiceResult', {
  types: [DeleteServiceSuccess, NotFoundError, ReadOnlyServiceError, ServiceInUseError],
  resolveType,
});
const SetServiceModeResult = builder.unionType('SetServiceModeResult', {
  types: [ServiceSuccess, NotFoundError, ReadOnlyServiceError],
  resolveType,
});

const MockTemplateType = builder.objectRef<(typeof MOCK_TEMPLATES)[number]>('MockTemplate').implement({
  description: 'A ready mock, selected by id with mockTemplate on a service or an operation.',
  fields: (t) => ({
    id: t.exposeString('id'),
    description: t.exposeString('description'),
    operation: t.exposeString('operation', { description: 'The operation a service made from this template alone gets.' }),
    inputSchema: t.field({ type: 'JSON', resolve: (m) => m.input }),
    response: t.field({ type: 'JSON', description: 'With "{{input.…}}" and "{{jobId}}" filled per call.', resolve: (m) => m.mock.response }),
  }),
});

const OperationInput = builder.inputType('ServiceOperationInput', {
  description: 'As an operation in the services file; JSON fields take the same objects.',
  fields: (t) => ({
    name: t.string({ required: true }),
    method: t.field({ type: HttpMethodEnum, description: '@default POST' }),
    path: t.string({ description: 'Like /charges/{chargeId}; each {name} must be a property of the input schema. @default /' }),
    input: t.field({ type: 'JSON', description: 'JSON Schema of the job input.' }),
    output: t.field({ type: 'JSON', description: 'JSON Schema the response must match.' }),
    timeoutMs: t.int(),
    retry: t.field({ type: 'JSON' }),
    maxAgeMs: t.int(),
    mock: t.field({ type: 'JSON', description: 'How the mock answers: latencyMs, scenarios, response, callback (async operations).' }),
    async: t.field({
      type: 'JSON',
      description: 'Makes the operation async: { correlationField, callbackField | callbackHeader, timeout, verify, result }, as in the services file.',
    }),
    mockTemplate: t.string({ description: 'A mockTemplates id: its mock (and its input schema, unless given) for this operation.' }),
    onSuccess: t.field({
      type: ['JSON'],
      description: 'Follow-ups when a job succeeds: { service, operation, input } each, input a template as in the services file.',
    }),
    onFailure: t.field({ type: ['JSON'], description: 'Follow-ups when a job fails, times out or expires (not when cancelled).' }),
  }),
});

const ServiceInput = builder.inputType('ServiceDefinitionInput', {
  description: 'As a service in the services file (concurrency and rateLimitPerSecond are not supported yet).',
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: ServiceKindEnum, required: true }),
    baseUrl: t.string({ description: 'Required for HTTP. Calls go through the SSRF guard (CALLGATE_OUTBOUND_ALLOW).' }),
    auth: t.field({ type: 'JSON', description: 'Names environment variables, never a secret: { bearerTokenEnv: "X" } and the like.' }),
    timeoutMs: t.int(),
    retry: t.field({ type: 'JSON' }),
    breaker: t.field({ type: 'JSON' }),
    mockTemplate: t.string({ description: 'A mockTemplates id: the service gets that template\'s operation (give no operations).' }),
    operations: t.field({ type: [OperationInput] }),
  }),
});

type DefinitionInput = typeof ServiceInput.$inferInput;

/**
 * The definition as the file would hold it (nulls are absent keys there), mock templates expanded,
 * and what was wrong with the templates named.
 */
function definitionOf(input: DefinitionInput): { raw: unknown; problems: string[] } {
  const { mockTemplate: serviceTemplate, operations, ...service } = withoutNulls(input);
  const where = (op?: string) => `service "${input.name}"${op ? `, operation "${op}"` : ''}, field "mockTemplate"`;
  const problems: string[] = [];
  const template = (id: string, op?: string) => {
    const found = mockTemplate(id);
    if (!found) problems.push(`${where(op)}: unknown template "${id}"; one of ${MOCK_TEMPLATES.map((m) => m.id).join(', ')}`);
    return found;
  };
  let ops = (operations ?? []).map((o) => {
    const { mockTemplate: id, ...op } = withoutNulls(o);
    const found = typeof id === 'string' ? template(id, op.name) : undefined;
    return found ? { ...op, input: op.input ?? found.input, mock: op.mock ?? found.mock } : op;
  });
  if (typeof serviceTemplate === 'string') {
    if (ops.length > 0) problems.push(`${where()}: gives operations too; put mockTemplate on an operation instead`);
    const found = template(serviceTemplate);
    if (found) ops = [{ name: found.operation, input: found.input, mock: found.mock }];
  }
  // Inline JSON literals arrive as null-prototype objects; the validator and the table want plain JSON.
  const raw: unknown = JSON.parse(JSON.stringify({ ...service, ...(operations || serviceTemplate ? { operations: ops } : {}) }));
  return { raw, problems };
}

/** Top-level nulls only: a null inside a JSON Schema or a mock body means null. */
function withoutNulls<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as never;
}

function validated(input: DefinitionInput, ctx: GraphQLContext): { def: ServiceDef } | Invalid {
  const { tenantId, registry } = ctx;
  const { raw, problems: templateProblems } = definitionOf(input);
  const parsed = parseServiceDefinition(raw, (s, o) => (o === undefined ? !!registry.service(s) : !!registry.operation(s, o)));
  const notTheirs = `is not this tenant's; name variables ${tenantSecretPrefix(tenantId)}*`;
  const secretProblems =
    'def' in parsed
      ? [
          ...forbiddenEnvNames(parsed.def.auth, tenantId).map((name) => `service "${parsed.def.name}", field "auth": ${name} ${notTheirs}`),
          ...forbiddenCallbackEnvNames(parsed.def, tenantId).map(
            ({ operation, name }) => `service "${parsed.def.name}", operation "${operation}", field "async.verify": ${name} ${notTheirs}`,
          ),
        ]
      : [];
  const problems = [...templateProblems, ...('problems' in parsed ? parsed.problems : []), ...secretProblems];
  if ('def' in parsed && problems.length === 0) return { def: { ...parsed.def, source: 'api' } };
  return { kind: 'invalid', problems, message: `invalid service: ${problems.join('; ')}` };
}

/** The caller's tenant's own service of that name; the file's are read-only, another tenant's not found. */
function ownService(ctx: GraphQLContext, name: string): { service: ServiceDef } | NotFound | ReadOnly {
  const service = ctx.registry.service(name);
  if (!service) return notFound(name);
  if (service.tenantId === undefined) return readOnly(name);
  return { service };
}

/**
 * Every instance reloads on the NOTIFY; this one at once, so the answer and the caller's next call
 * see the change. `written` stands in only if a concurrent delete already removed the service.
 */
async function saved(ctx: GraphQLContext, written: ServiceDef): Promise<Saved> {
  await ctx.registry.reload(ctx.db);
  return { kind: 'saved', service: ctx.registry.service(written.name) ?? written };
}

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
const TestServiceResult = builder.unionType('TestServiceResult', {
  types: [TestServiceSuccess, NotFoundError, InvalidInputError],
  resolveType: (r) => (r.kind === 'tested' ? 'TestServiceSuccess' : r.kind === 'not_found' ? 'NotFoundError' : 'InvalidInputError'),
});

builder.queryFields((t) => ({
  mockTemplates: t.field({
    type: [MockTemplateType],
    description: 'The ready mocks registerService and updateService accept as mockTemplate.',
    authScopes: { admin: true },
    resolve: () => MOCK_TEMPLATES,
  }),
}));

builder.mutationFields((t) => ({
  registerService: t.field({
    type: RegisterServiceResult,
    description: "A service of the caller's tenant, callable at once on every instance. Admin keys only.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: ServiceInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const checked = validated(input, ctx);
      if ('kind' in checked) return checked;
      const taken: NameTaken = { kind: 'name_taken', service: input.name, message: `a service named "${input.name}" exists` };
      if (ctx.registry.service(input.name)) return taken;
      if (!(await insertApiService(ctx.db, ctx.tenantId, checked.def))) return taken;
      return saved(ctx, { ...checked.def, tenantId: ctx.tenantId });
    },
  }),
  updateService: t.field({
    type: UpdateServiceResult,
    description: 'Replaces the whole definition of one of the tenant\'s services (jobs already queued run with the new one). Admin keys only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: ServiceInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const own = ownService(ctx, input.name);
      if ('kind' in own) return own;
      const checked = validated(input, ctx);
      if ('kind' in checked) return checked;
      if (!(await replaceApiService(ctx.db, ctx.tenantId, checked.def))) return notFound(input.name);
      return saved(ctx, { ...checked.def, tenantId: ctx.tenantId });
    },
  }),
  deleteService: t.field({
    type: DeleteServiceResult,
    description: 'Refused while jobs are pending, running or waiting for a callback. Admin keys only.',
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      const own = ownService(ctx, name);
      if ('kind' in own) return own;
      if (!(await deleteApiService(ctx.db, ctx.tenantId, name))) {
        const openJobs = await countOpenJobs(ctx.db, name);
        if (openJobs === 0) return notFound(name);
        return { kind: 'in_use' as const, service: name, openJobs, message: `service "${name}" has ${openJobs} open jobs` };
      }
      await ctx.registry.reload(ctx.db);
      return { kind: 'deleted' as const, name };
    },
  }),
  setServiceMode: t.field({
    type: SetServiceModeResult,
    description:
      'MOCK: the next jobs are answered by the operations\' mock config, with no upstream call; REAL switches back. ' +
      "The file is not touched: a file service's mode is the platform admins' to set. Admin keys only.",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }), mode: t.arg({ type: ServiceModeEnum, required: true }) },
    resolve: async (_root, { name, mode }, ctx) => {
      const service = ctx.registry.service(name);
      if (!service) return notFound(name);
      if (service.tenantId === undefined && !isPlatformAdmin(ctx.caller)) return readOnly(name);
      await setServiceMode(ctx.db, name, mode);
      return saved(ctx, { ...service, mode });
    },
  }),
  testService: t.field({
    type: TestServiceResult,
    description: "One call through the workers' client (SSRF guard, auth, timeout), in the service's mode unless `mode` says otherwise. Admin keys only.",
    authScopes: { admin: true },
    args: {
      name: t.arg.string({ required: true }),
      operation: t.arg.string({ required: true }),
      input: t.arg({ type: 'JSON', required: true }),
      mode: t.arg({ type: ServiceModeEnum }),
    },
    resolve: async (_root, args, ctx) => {
      const found = ctx.registry.service(args.name);
      const operation = found && ctx.registry.operation(args.name, args.operation);
      if (!found || !operation) return notFound(found ? `${args.name}.${args.operation}` : args.name);
      const input = JSON.parse(JSON.stringify(args.input ?? null)) as unknown;
      const violations = ctx.registry.validateInput(found.name, operation.name, input);
      if (violations.length > 0) {
        const message = `input does not match the operation's schema: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`;
        return { kind: 'invalid_input' as const, violations, message };
      }
      const service = args.mode ? { ...found, mode: args.mode } : found;
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
