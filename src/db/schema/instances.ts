// Gateway instances, each upserting its row every few seconds (src/worker/heartbeat.ts): the live
// count and per-instance load of the `queue` query. Rows not seen for a while are pruned.
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const instances = pgTable('instances', {
  /** The worker id, as in `jobs.locked_by`. */
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  /** WORKER_CONCURRENCY: 0 for an API-only instance. */
  concurrency: integer('concurrency').notNull(),
  /** Jobs running on it at the last heartbeat. */
  inFlight: integer('in_flight').notNull(),
});
