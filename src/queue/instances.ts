// The instances table, one statement per function: each gateway upserts its row on every
// heartbeat and deletes it on a clean stop; rows of crashed instances go stale and are pruned.
import { asc, lt, sql, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { instances } from '../db/schema';

/** How often an instance beats: a crash shows within seconds, for two tiny statements per beat. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** Three missed beats: one slow beat (a busy database, a GC pause) does not mark an instance dead. */
export const INSTANCE_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** A dead instance stays listed (not live) this long, so ops can still see what crashed and when. */
export const INSTANCE_PRUNE_MS = 10 * 60_000;

interface InstanceBeat {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  inFlight: number;
}

export interface InstanceStatus {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
  lastSeenAt: Date;
  concurrency: number;
  inFlight: number;
  /** Seen within the stale limit. */
  live: boolean;
}

/** Every timestamp is the database's now(), so instances' clocks need not agree. */
export async function beatInstance(db: Db, beat: InstanceBeat): Promise<void> {
  await db
    .insert(instances)
    .values({ ...beat, startedAt: sql`now()`, lastSeenAt: sql`now()` })
    .onConflictDoUpdate({
      target: instances.id,
      set: { host: beat.host, pid: beat.pid, concurrency: beat.concurrency, inFlight: beat.inFlight, lastSeenAt: sql`now()` },
    });
}

export async function deleteInstance(db: Db, id: string): Promise<void> {
  await db.delete(instances).where(eq(instances.id, id));
}

/** Deletes the rows not seen for `olderThanMs`; returns their ids. */
export async function pruneInstances(db: Db, olderThanMs: number): Promise<string[]> {
  const gone = await db
    .delete(instances)
    .where(lt(instances.lastSeenAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`))
    .returning({ id: instances.id });
  return gone.map((r) => r.id);
}

/** Every row, live or not: a crashed instance stays visible, marked not live, until it is pruned. */
export async function listInstances(db: Db, staleAfterMs: number): Promise<InstanceStatus[]> {
  return db
    .select({
      id: instances.id,
      host: instances.host,
      pid: instances.pid,
      startedAt: instances.startedAt,
      lastSeenAt: instances.lastSeenAt,
      concurrency: instances.concurrency,
      inFlight: instances.inFlight,
      live: sql<boolean>`${instances.lastSeenAt} > now() - make_interval(secs => ${staleAfterMs / 1000})`,
    })
    .from(instances)
    .orderBy(asc(instances.id));
}
