// createFollowUps: the jobs an ended job's follow-ups call for, inserted in the transaction that
// ended it. The slot (`onSuccess:0`) is unique per parent, so however often an ending is retried
// or re-applied, each follow-up exists once. A follow-up that cannot run (its input breaks the
// target's schema, its service is gone, the chain is too deep) is inserted FAILED with the reason:
// the parent's ending never fails because of its follow-ups.
import { and, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { PgInsertValue } from 'drizzle-orm/pg-core';
import { HAS_PARENT, jobs, type JobRow, type JobStatus } from '../db/schema';
import { renderTemplate } from '../json-template';
import type { Registry } from '../registry';
import { mergeFollowUps, type FollowUpList } from '../registry/follow-up-defs';
import type { FollowUpDef, FollowUps } from '../registry/types';
import { inputShapeViolations } from '../registry/validate-input';
import { leaseMsFor } from './lease';

/**
 * Links a chain may have below the job a client asked for (depth 0): a follow-up deeper than this
 * is created FAILED instead of running, so an operation that names itself (or two that name each
 * other) stops after a few rounds. Real chains (charge → receipt → archive) use two or three.
 */
export const MAX_FOLLOW_UP_DEPTH = 5;

/** What follow-ups are built against when they are created, as callService builds a job. */
export interface FollowUpRules {
  registry: Registry;
  /** CALLGATE_MAX_INPUT_BYTES: a follow-up's rendered input is held to it like any job's input. */
  maxInputBytes: number;
}

/** An ended job as createFollowUps reads it. */
type EndedParent = Pick<
  JobRow,
  'id' | 'tenantId' | 'status' | 'input' | 'output' | 'lastError' | 'correlationId' | 'followUps' | 'depth' | 'priority'
>;

/** The columns to return from a statement that ends a job, to hand to createFollowUps. */
const PARENT_COLUMNS = {
  id: jobs.id,
  tenantId: jobs.tenantId,
  status: jobs.status,
  input: jobs.input,
  output: jobs.output,
  lastError: jobs.lastError,
  correlationId: jobs.correlationId,
  followUps: jobs.followUps,
  depth: jobs.depth,
  priority: jobs.priority,
};

/** Which list an ending fires; CANCELLED (and anything unfinished) fires none. */
const LIST_FIRED_BY: Partial<Record<JobStatus, FollowUpList>> = {
  succeeded: 'onSuccess',
  failed: 'onFailure',
  timed_out: 'onFailure',
  expired: 'onFailure',
};

/** A follow-up job created, or found already created by an earlier run of the same ending. */
export type CreatedFollowUp = Pick<JobRow, 'id' | 'parentJobId' | 'service' | 'operation' | 'status'>;

/**
 * Inserts the follow-ups of `parents` that their ending fires, skipping any already created.
 * Call it inside the transaction that ended them, with the rows as that statement left them.
 */
export async function createFollowUps(tx: Db, rules: FollowUpRules, parents: readonly EndedParent[]): Promise<CreatedFollowUp[]> {
  const rows = parents.flatMap((parent) => {
    const list = LIST_FIRED_BY[parent.status];
    const defs = list ? ((parent.followUps as Partial<FollowUps> | null)?.[list] ?? []) : [];
    return defs.map((def, i) => followUpJob(rules, parent, def, `${list}:${i}`));
  });
  if (rows.length === 0) return [];
  return tx
    .insert(jobs)
    .values(rows)
    .onConflictDoNothing({ target: [jobs.parentJobId, jobs.followUpSlot], where: HAS_PARENT })
    .returning({ id: jobs.id, parentJobId: jobs.parentJobId, service: jobs.service, operation: jobs.operation, status: jobs.status });
}

/**
 * createFollowUps for jobs known by id only (the ending statement did not return their rows):
 * reads those that ended with follow-ups to create. One line in any ending transaction.
 */
export async function createFollowUpsFor(tx: Db, rules: FollowUpRules, jobIds: readonly string[]): Promise<CreatedFollowUp[]> {
  if (jobIds.length === 0) return [];
  const parents = await tx
    .select(PARENT_COLUMNS)
    .from(jobs)
    .where(and(inArray(jobs.id, [...jobIds]), isNotNull(jobs.followUps)));
  return createFollowUps(tx, rules, parents);
}

type NewFollowUp = PgInsertValue<typeof jobs>;

function followUpJob({ registry, maxInputBytes }: FollowUpRules, parent: EndedParent, def: FollowUpDef, slot: string): NewFollowUp {
  const input = renderTemplate(def.input, {
    input: parent.input,
    output: parent.output ?? null,
    error: parent.lastError ?? null,
    jobId: parent.id,
  });
  const target = `${def.service}.${def.operation}`;
  const job = {
    tenantId: parent.tenantId,
    service: def.service,
    operation: def.operation,
    // A job's input is never null (callService requires one); a follow-up whose input renders to null fails below.
    input: input ?? {},
    parentJobId: parent.id,
    followUpSlot: slot,
    depth: parent.depth + 1,
    correlationId: parent.correlationId,
    priority: parent.priority,
  };
  // Never run, so never retried by the queue: one attempt's worth, none used.
  const failed = (error: string): NewFollowUp => ({ ...job, status: 'failed', maxAttempts: 1, lastError: error, completedAt: sql`now()` });

  if (job.depth > MAX_FOLLOW_UP_DEPTH) {
    return failed(`follow-up not run: the chain would be ${job.depth} links deep, more than ${MAX_FOLLOW_UP_DEPTH} (does a follow-up lead back to itself?)`);
  }
  const service = registry.service(def.service);
  // The file's services serve every tenant; an API service only its own.
  const visible = service && (service.tenantId === undefined || service.tenantId === parent.tenantId);
  const operation = visible ? registry.operation(def.service, def.operation) : undefined;
  if (!service || !operation) return failed(`follow-up not run: ${target} is not registered`);
  if (input === null) return failed(`follow-up not run: its input template rendered to null (it names a value the parent does not have)`);
  const refused = inputShapeViolations(job.input, maxInputBytes);
  const violations = refused.length > 0 ? refused : registry.validateInput(def.service, def.operation, job.input);
  if (violations.length > 0) {
    const detail = violations.map((v) => `${v.path} ${v.message}`).join('; ');
    const what = refused.length > 0 ? 'its input cannot be accepted' : `its input does not match ${target}'s input schema`;
    return failed(`follow-up not run: ${what}: ${detail}`);
  }
  return {
    ...job,
    maxAttempts: registry.retryPolicy(service, operation).maxAttempts,
    leaseMs: leaseMsFor(registry.timeoutMs(service, operation)),
    deadline: operation.maxAgeMs === undefined ? null : new Date(Date.now() + operation.maxAgeMs),
    followUps: mergeFollowUps(operation, null),
  };
}
