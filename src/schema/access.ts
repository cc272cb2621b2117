// Tenants and API keys: createTenant (platform admins), createApiKey (the key is in this answer
// and nowhere else, ever), revokeApiKey and apiKeys (tenant admins). Statements in db/tenants.ts.
import { issueApiKey } from '../auth/api-key';
import { isPlatformAdmin } from '../auth/caller';
import { API_KEY_ROLE, type ApiKey, type ApiKeyRole, type Tenant } from '../db/schema';
import { findTenant, insertTenant, listApiKeys, revokeApiKey } from '../db/tenants';
import { badInput, builder, ErrorInterface, upperCaseEnum } from './builder';
import { NotFoundError } from './job-actions';

/** Names are for people reading listings and logs. */
const MAX_NAME_LENGTH = 100;

const ApiKeyRoleEnum = upperCaseEnum('ApiKeyRole', API_KEY_ROLE);

const TenantType = builder.objectRef<Tenant>('Tenant').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const ApiKeyType = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'An API key, without the key itself: only its SHA-256 is stored.',
  fields: (t) => ({
    id: t.exposeID('id'),
    tenantId: t.exposeID('tenantId'),
    name: t.exposeString('name'),
    role: t.expose('role', { type: ApiKeyRoleEnum }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key (cg_live_AbCd), as logs show it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'To the minute, roughly.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

type NotFound = { kind: 'not_found'; id: string; message: string };
const notFound = (what: string, id: string): NotFound => ({ kind: 'not_found', id, message: `${what} ${id} not found` });

const CreateApiKeySuccess = builder.objectRef<{ kind: 'created'; key: string; apiKey: ApiKey }>('CreateApiKeySuccess').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Send as Authorization: Bearer <key>. Shown this once: store it now.' }),
    apiKey: t.field({ type: ApiKeyType, resolve: (r) => r.apiKey }),
  }),
});
const CreateApiKeyResult = builder.unionType('CreateApiKeyResult', {
  types: [CreateApiKeySuccess, NotFoundError],
  resolveType: (r) => (r.kind === 'created' ? 'CreateApiKeySuccess' : 'NotFoundError'),
});

const RevokeApiKeySuccess = builder.objectRef<{ kind: 'revoked'; apiKey: ApiKey }>('RevokeApiKeySuccess').implement({
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyType, resolve: (r) => r.apiKey }) }),
});
const RevokeApiKeyResult = builder.unionType('RevokeApiKeyResult', {
  types: [RevokeApiKeySuccess, NotFoundError],
  resolveType: (r) => (r.kind === 'revoked' ? 'RevokeApiKeySuccess' : 'NotFoundError'),
});

const CreateTenantSuccess = builder.objectRef<{ kind: 'created'; tenant: Tenant }>('CreateTenantSuccess').implement({
  fields: (t) => ({ tenant: t.field({ type: TenantType, resolve: (r) => r.tenant }) }),
});
const TenantNameTakenError = builder.objectRef<{ kind: 'taken'; name: string; message: string }>('TenantNameTakenError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({ message: t.exposeString('message'), name: t.exposeString('name') }),
});
const CreateTenantResult = builder.unionType('CreateTenantResult', {
  types: [CreateTenantSuccess, TenantNameTakenError],
  resolveType: (r) => (r.kind === 'created' ? 'CreateTenantSuccess' : 'TenantNameTakenError'),
});

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH) throw badInput(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
  return trimmed;
}

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyType],
    description: "The tenant's keys, revoked ones included, oldest first. Admin keys only.",
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => listApiKeys(ctx.db, ctx.tenantId),
  }),
}));

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: CreateTenantResult,
    description: "A new tenant with no keys yet: give it one with createApiKey(tenant: …). Admin keys of the platform's own tenant only.",
    authScopes: { platformAdmin: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      const tenant = await insertTenant(ctx.db, checkName(name));
      return tenant ? { kind: 'created' as const, tenant } : { kind: 'taken' as const, name, message: `a tenant named "${name}" exists` };
    },
  }),
  createApiKey: t.field({
    type: CreateApiKeyResult,
    description: "A key for the caller's tenant (another tenant's: platform admins only). The answer holds the key, once.",
    authScopes: { admin: true },
    args: {
      role: t.arg({ type: ApiKeyRoleEnum, required: true }),
      name: t.arg.string({ required: true }),
      tenant: t.arg.string({ description: "The tenant's id or name. @default the caller's tenant" }),
    },
    resolve: async (_root, args, ctx) => {
      const name = checkName(args.name);
      let tenantId = ctx.tenantId;
      if (args.tenant != null && args.tenant !== ctx.tenantId) {
        // Another tenant named by a tenant admin is "not found", like any id that is not theirs.
        const tenant = isPlatformAdmin(ctx.caller) ? await findTenant(ctx.db, args.tenant) : undefined;
        if (!tenant) return notFound('tenant', args.tenant);
        tenantId = tenant.id;
      }
      const { key, row } = await issueApiKey(ctx.db, { tenantId, role: args.role as ApiKeyRole, name });
      return { kind: 'created' as const, key, apiKey: row };
    },
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyResult,
    description: 'Stops the key at once on this instance and within 5 s on every other. Admin keys only.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const row = await revokeApiKey(ctx.db, ctx.tenantId, id);
      if (!row) return notFound('API key', id);
      ctx.auth.forget(row.id);
      return { kind: 'revoked' as const, apiKey: row };
    },
  }),
}));
