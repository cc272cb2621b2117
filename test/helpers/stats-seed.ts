// Jobs and attempts with chosen ages, statuses and durations, written straight into the tables
// so the stats tests control every timestamp (ages are relative to now, in milliseconds).
import type { Db } from '../../src/db/client';
import { DEFAULT_TENANT_ID, jobAttempts, jobs, type AttemptOutcome, type JobStatus } from '../../src/db/schema';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export interface SeedAttempt {
  outcome: AttemptOutcome;
  durationMs: number;
  /** How long ago the attempt finished. */
  finishedAgo: number;
  error?: string;
}

export interface SeedJob {
  tenantId?: string;
  service: string;
  operation: string;
  status: JobStatus;
  createdAgo: number;
  /** For final statuses. */
  completedAgo?: number;
  /** Negative: in the future. @default createdAgo */
  runAtAgo?: number;
  lockedBy?: string;
  attempts?: SeedAttempt[];
}

export async function seedJobs(db: Db, seeds: SeedJob[]): Promise<string[]> {
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const ids: string[] = [];
  for (const s of seeds) {
    const [job] = await db
      .insert(jobs)
      .values({
        tenantId: s.tenantId ?? DEFAULT_TENANT_ID,
        service: s.service,
        operation: s.operation,
        input: {},
        status: s.status,
        maxAttempts: 5,
        attempts: s.attempts?.length ?? 0,
        createdAt: ago(s.createdAgo),
        runAt: ago(s.runAtAgo ?? s.createdAgo),
        completedAt: s.completedAgo === undefined ? null : ago(s.completedAgo),
        lockedBy: s.lockedBy ?? null,
        lockedUntil: s.lockedBy ? ago(-HOUR) : null,
      })
      .returning({ id: jobs.id });
    ids.push(job!.id);
    if (s.attempts?.length) {
      await db.insert(jobAttempts).values(
        s.attempts.map((a, i) => ({
          jobId: job!.id,
          attempt: i + 1,
          startedAt: ago(a.finishedAgo + a.durationMs),
          finishedAt: ago(a.finishedAgo),
          durationMs: a.durationMs,
          outcome: a.outcome,
          error: a.error ?? null,
        })),
      );
    }
  }
  return ids;
}

/** percentile_cont: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}
