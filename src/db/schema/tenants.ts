// Tenants and their API keys. Until keys are issued every call runs as DEFAULT_TENANT_ID,
// which the first migration inserts.
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
    role: apiKeyRole('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
