// Tenants and their API keys. DEFAULT_TENANT_ID (inserted by a migration) is the platform's own
// tenant: its admin keys may create tenants, and keyless development requests run as it.
import { pgTable, text, timestamp, uuid, index } from 'drizzle-orm/pg-core';
import { apiKeyRole } from './enums';

export const DEFAULT_TENANT_ID = '00000000-0000-0000-0000-000000000000';

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** sha-256 of the key, hex; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    /** The key's first characters (`cg_live_AbCd`): names it in logs and listings, too short to guess the rest. */
    prefix: text('prefix').notNull().default(''),
    role: apiKeyRole('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Written at most once a minute per key and instance (auth/authenticator.ts): a hint, not an audit log. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
