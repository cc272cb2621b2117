// One LISTEN connection per instance on `callgate_job` (the jobs triggers NOTIFY every status
// change, up to 64 rows per payload: drizzle/0012_batched_notify.sql, with each row's `due` since
// 0013_notify_due.sql), fanned out in process to the
// job's watchers and to the worker pool's wake-ups.
// Watchers register synchronously, so a subscriber that registers before reading a job's state
// cannot miss a change made between the two.
import type { Database } from '../db/client';
import { JOB_STATUS, type JobStatus } from '../db/schema';
import type { Logger } from '../logger';

export const JOB_CHANNEL = 'callgate_job';

export interface JobEvent {
  id: string;
  tenant: string;
  status: JobStatus;
  attempt: number;
  /** The job is claimable now (run_at <= now() by the database's clock); a pending job scheduled for later is not. */
  due: boolean;
}

/** `null` means "the connection was re-established: events may have been missed, re-read". */
type JobListener = (event: JobEvent | null) => void;

export interface EventBus {
  start(): Promise<void>;
  /** Stops listening and ends every watcher (see `closed`). */
  stop(): Promise<void>;
  /** Resolves when the bus stops: at shutdown, open subscriptions end cleanly instead of being cut. */
  readonly closed: Promise<void>;
  watchJob(id: string, listener: JobListener): () => void;
  onEvent(listener: JobListener): () => void;
}

export function createEventBus({ database, log }: { database: Database; log: Logger }): EventBus {
  const byJob = new Map<string, Set<JobListener>>();
  const everyEvent = new Set<JobListener>();
  let unlisten: (() => Promise<void>) | undefined;
  let listens = 0;
  let close!: () => void;
  const closed = new Promise<void>((resolve) => (close = resolve));

  const deliver = (event: JobEvent) => {
    for (const l of everyEvent) l(event);
    const watchers = byJob.get(event.id);
    if (watchers) for (const l of watchers) l(event);
  };

  const resync = () => {
    for (const l of everyEvent) l(null);
    for (const watchers of byJob.values()) for (const l of watchers) l(null);
  };

  return {
    async start() {
      unlisten = await database.listen(
        JOB_CHANNEL,
        (payload) => {
          const { events, malformed } = parseEvents(payload);
          for (const event of events) deliver(event);
          if (malformed) log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed job event');
        },
        () => {
          if (listens++ > 0) {
            log.info('LISTEN re-established; watchers re-read their jobs');
            resync();
          }
        },
      );
    },
    closed,
    async stop() {
      close();
      await unlisten?.();
      unlisten = undefined;
    },
    watchJob(id, listener) {
      let watchers = byJob.get(id);
      if (!watchers) byJob.set(id, (watchers = new Set()));
      watchers.add(listener);
      return () => {
        watchers.delete(listener);
        if (watchers.size === 0) byJob.delete(id);
      };
    },
    onEvent(listener) {
      everyEvent.add(listener);
      return () => everyEvent.delete(listener);
    },
  };
}

const STATUSES: ReadonlySet<string> = new Set(JOB_STATUS);

/**
 * A payload is `[[id, tenant, status, attempt, due], ...]`: one statement's changed rows (or a chunk
 * of them). A row without `due` (sent before migration 0013) counts as due: waking is the safe side.
 */
export function parseEvents(payload: string): { events: JobEvent[]; malformed: boolean } {
  let rows: unknown;
  try {
    rows = JSON.parse(payload);
  } catch {
    return { events: [], malformed: true };
  }
  if (!Array.isArray(rows)) return { events: [], malformed: true };
  const events: JobEvent[] = [];
  for (const row of rows) {
    const event = parseRow(row);
    if (event) events.push(event);
  }
  return { events, malformed: events.length < rows.length };
}

function parseRow(row: unknown): JobEvent | null {
  if (!Array.isArray(row)) return null;
  const [id, tenant, status, attempt, due] = row as unknown[];
  if (typeof id !== 'string' || typeof tenant !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) return null;
  return { id, tenant, status: status as JobStatus, attempt: Number(attempt) || 0, due: due !== false };
}
