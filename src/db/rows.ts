// selectRows: runs a hand-written SELECT on either driver and returns its rows. postgres.js hands
// back an array, PGlite a { rows } object. Callers cast every column to int, float8, text or
// text[] in the SQL, which both drivers parse alike (timestamps and bigints they do not).
import type { SQL } from 'drizzle-orm';
import type { Db } from './client';

export async function selectRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
