// `callgate tenants create` and `callgate keys create`: the operator's way in, and the only one on a
// production gateway before any admin key exists. A key is printed once; only its hash is stored.
import { issueApiKey } from '../auth/api-key';
import { API_KEY_ROLE, type ApiKeyRole } from '../db/schema';
import { findTenant, insertTenant } from '../db/tenants';
import { notFound, refused, stringOption, usageError, type Command } from './command';
import { renderFields } from './table';

/** Tenant names appear in logs and CLI tables: short, printable, no surprises. */
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const keysCommands: readonly Command[] = [
  {
    path: ['tenants', 'create'],
    args: ['NAME'],
    summary: 'create a tenant (then give it a key with keys create)',
    help: 'NAME: letters, digits, ".", "_" or "-", at most 63 characters, unique. Exit code 4 when the name is taken.',
    async run({ args }, ctx) {
      const name = args[0]!;
      if (!TENANT_NAME.test(name)) throw usageError(`NAME must be letters, digits, ".", "_" or "-" (at most 63), got "${name}"`);
      const tenant = await insertTenant((await ctx.database()).db, name);
      if (!tenant) throw refused(`tenant "${name}" already exists`);
      return { text: renderFields([['tenant', tenant.name], ['id', tenant.id]]), json: { id: tenant.id, name: tenant.name } };
    },
  },
  {
    path: ['keys', 'create'],
    summary: "create an API key for a tenant; the key is printed once and can't be shown again",
    help:
      `--role is one of ${API_KEY_ROLE.join(', ')}: client enqueues and follows its jobs, ops also reads stats, ` +
      'attempt logs and the queue and cancels or retries, admin also manages services and keys. ' +
      'Send the key as "Authorization: Bearer <key>" (graphql-ws: connectionParams.authorization).',
    options: {
      tenant: { type: 'string', value: 'name or id', description: 'the tenant the key belongs to (required)' },
      role: { type: 'string', value: API_KEY_ROLE.join('|'), description: 'what the key may do (required)' },
      name: { type: 'string', value: 'label', description: 'a label shown in apiKeys and logs (default: "cli")' },
    },
    async run({ values }, ctx) {
      const tenantRef = stringOption(values, 'tenant');
      const role = stringOption(values, 'role');
      if (!tenantRef) throw usageError('--tenant is required');
      if (!role || !(API_KEY_ROLE as readonly string[]).includes(role)) {
        throw usageError(`--role must be one of ${API_KEY_ROLE.join(', ')}, got "${role ?? ''}"`);
      }
      const db = (await ctx.database()).db;
      const tenant = await findTenant(db, tenantRef);
      if (!tenant) throw notFound(`no tenant "${tenantRef}"`);
      const name = stringOption(values, 'name') ?? 'cli';
      const { key, row } = await issueApiKey(db, { tenantId: tenant.id, role: role as ApiKeyRole, name });
      const json = { key, id: row.id, tenant: tenant.name, role: row.role, name: row.name, prefix: row.prefix };
      const text = renderFields([
        ['key', key],
        ['id', row.id],
        ['tenant', tenant.name],
        ['role', row.role],
        ['name', row.name],
      ]);
      return { text: `${text}\n\nStore the key now: only its hash is kept, it cannot be shown again.`, json };
    },
  },
];
