export { enqueueJob, enqueueJobs, type NewJob, type Enqueued } from './enqueue';
export { createEnqueueBatcher, type Enqueue, type EnqueueBatcherOptions } from './enqueue-batcher';
export { claimJobs, type ClaimedJob } from './claim';
export { completeJob, expireJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type Ended, type Finish } from './finish';
export { endAttempts, type BatchedEnding, type BatchedFinish } from './finish-batch';
export { recoverExpiredLeases, expireOverdueJobs, type SweptJob } from './sweep';
export {
  acceptCallback,
  armCallback,
  findCallbackTarget,
  listCallbacksOfJobs,
  receiveCallback,
  timeOutCallbacks,
  type CallbackTarget,
  type Armed,
  type CallbackView,
  type Received,
} from './callbacks';
export {
  createFollowUps,
  createFollowUpsFor,
  MAX_FOLLOW_UP_DEPTH,
  type CreatedFollowUp,
  type EndedParent,
  type FollowUpRules,
} from './follow-ups';
export { cancelJob, retryJob, CANCELLABLE, RETRYABLE, type ActionResult } from './actions';
export {
  getJob,
  getJobPayloads,
  getJobSummaries,
  isJobId,
  listFollowUpsOfJobs,
  listJobs,
  listJobSummaries,
  listAttempts,
  listAttemptsOfJobs,
  listAttemptLog,
  type JobsPage,
  type JobSummary,
  type JobPayload,
  type AttemptLogEntry,
  type AttemptLogPage,
} from './read';
export { submitJob, type JobRequest, type SubmitLimits, type SubmitResult } from './submit';
export { pruneFinishedJobs, type Retention } from './prune';
export { jobStats, jobStatsStatement, DEFAULT_STATS_WINDOW_MS, type JobStat, type StatsScope } from './stats';
export { failingServices, failingServicesStatement, DEFAULT_ERROR_LIMIT, DEFAULT_MIN_FAILURES, type FailingOperation, type FailingScope } from './failing';
export { queueHealth, countLiveJobs, countRunningByInstance, liveJobCountsStatement, type LiveJobCounts, type QueueHealth } from './health';
export {
  beatInstance,
  deleteInstance,
  pruneInstances,
  listInstances,
  HEARTBEAT_INTERVAL_MS,
  INSTANCE_STALE_MS,
  INSTANCE_PRUNE_MS,
  type InstanceBeat,
  type InstanceStatus,
} from './instances';
