export { enqueueJob, type NewJob, type Enqueued } from './enqueue';
export { createEnqueueBatcher, type Enqueue } from './enqueue-batcher';
export { claimJobs, type ClaimedJob } from './claim';
export { attemptTimeoutMs, leaseMsFor, leaseMsOf, LEASE_MARGIN_MS } from './lease';
export { completeJob, expireJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type Ended, type Finish } from './finish';
export { endAttempts, type BatchedEnding, type BatchedFinish } from './finish-batch';
export { endAsyncJob, type AsyncEnding } from './callback-ending';
export { recoverExpiredLeases, expireOverdueJobs, NEVER_SENT, type SweptJob } from './sweep';
export {
  acceptCallback,
  armCallback,
  findCallbackTarget,
  listCallbacksOfJobs,
  receiveCallback,
  timeOutCallbacks,
  type CallbackView,
  type Received,
} from './callbacks';
export {
  createFollowUps,
  MAX_FOLLOW_UP_DEPTH,
  type FollowUpRules,
} from './follow-ups';
export { cancelJob, retryJob, CANCELLABLE, RETRYABLE, type ActionResult } from './actions';
export {
  getJob,
  getJobPayloads,
  getJobPayloadSizes,
  getJobSummaries,
  isJobId,
  listFollowUpsOfJobs,
  listJobs,
  listJobSummaries,
  listAttempts,
  listAttemptsOfJobs,
  listAttemptLog,
  type JobSummary,
  type JobPayload,
  type AttemptLogEntry,
} from './read';
export { checkCall, submitJob, type JobRequest, type SubmitResult } from './submit';
export { pruneFinishedJobs, type Retention } from './prune';
export { jobStats, jobStatsStatement, DEFAULT_STATS_WINDOW_MS, type JobStat } from './stats';
export { failingServices, failingServicesStatement, DEFAULT_MIN_FAILURES, type FailingOperation } from './failing';
export { queueHealth, countLiveJobs, liveJobCountsStatement, type LiveJobCounts, type QueueHealth } from './health';
export {
  beatInstance,
  deleteInstance,
  pruneInstances,
  HEARTBEAT_INTERVAL_MS,
  INSTANCE_PRUNE_MS,
  type InstanceStatus,
} from './instances';
