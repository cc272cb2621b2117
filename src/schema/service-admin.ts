// The admin service API: registerService, updateService, deleteService, setServiceMode, and the
// mockTemplates to start from. Definitions are checked in service-definition.ts, tried with
// testService in test-service.ts; statements in registry/services.ts.
import { isPlatformAdmin } from '../auth/caller';
import { MOCK_TEMPLATES } from '../clients/mock-templates';
import {
  countOpenJobs,
  deleteApiService,
  insertApiService,
  replaceApiService,
  setServiceMode,
  type ServiceDef,
} from '../registry';
import { builder, ErrorInterface } from './builder';
import type { GraphQLContext } from './context';
import { NotFoundError } from './job-actions';
import { Service, ServiceModeEnum } from './service';
import { ServiceInput, validated, type Invalid } from './service-definition';

type NotFound = { kind: 'not_found'; id: string; message: string };
type ReadOnly = { kind: 'read_only'; service: string; message: string };
type NameTaken = { kind: 'name_taken'; service: string; message: string };
type InUse = { kind: 'in_use'; service: string; openJobs: number; message: string };
type Saved = { kind: 'saved'; service: ServiceDef };

export const notFound = (name: string): NotFound => ({ kind: 'not_found', id: name, message: `service "${name}" not found` });
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


/** The caller's tenant's own service of that name; the file's are read-only, another tenant's not found. */
function ownService(ctx: GraphQLContext, name: string): { service: ServiceDef } | NotFound | ReadOnly {
  const service = ctx.registry.service(name);
  if (!service) return notFound(name);
  if (service.tenantId === undefined) return readOnly(name);
  return { service };
}

/**
 * Every other instance reloads on the NOTIFY; this one at once (its follower skips its own NOTIFY),
 * so the answer and the caller's next call see the change. `written` stands in only if a concurrent
 * delete already removed the service.
 */
async function saved(ctx: GraphQLContext, written: ServiceDef): Promise<Saved> {
  await ctx.registry.reload(ctx.db);
  return { kind: 'saved', service: ctx.registry.service(written.name) ?? written };
}

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
      if (!(await insertApiService(ctx.db, ctx.tenantId, checked.def, ctx.registry.origin))) return taken;
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
      if (!(await replaceApiService(ctx.db, ctx.tenantId, checked.def, ctx.registry.origin))) return notFound(input.name);
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
      if (!(await deleteApiService(ctx.db, ctx.tenantId, name, ctx.registry.origin))) {
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
      await setServiceMode(ctx.db, name, mode, ctx.registry.origin);
      return saved(ctx, { ...service, mode });
    },
  }),
}));
