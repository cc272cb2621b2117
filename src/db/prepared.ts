// preparedRows: runs a hand-written statement as a named prepared statement. drizzle's
// `db.execute` sends every statement unprepared, and postgres.js then describes it first (Parse,
// Describe, Sync, wait for the parameter types, then Bind and Execute): two round trips per
// statement. Named, postgres.js prepares it once per connection and each later run is one round
// trip. For statements on the hot path whose text never changes (the values travel as
// parameters), such as the batched completion; rows come back as selectRows gives them.
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from './client';

const dialect = new PgDialect();

export async function preparedRows<T extends Record<string, unknown>>(db: Db, name: string, query: SQL): Promise<T[]> {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false);
  const result = (await prepared.execute()) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
