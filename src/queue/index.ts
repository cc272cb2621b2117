export { enqueueJob, type NewJob, type Enqueued } from './enqueue';
export { claimJobs, type ClaimedJob } from './claim';
export { completeJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type Ended, type Finish } from './finish';
export { recoverExpiredLeases, expireOverdueJobs } from './sweep';
export { cancelJob, retryJob, CANCELLABLE, RETRYABLE, type ActionResult } from './actions';
export { getJob, isJobId, listJobs, listAttempts, listAttemptLog, type JobsPage, type AttemptLogEntry, type AttemptLogPage } from './read';
export { submitJob, type JobRequest, type SubmitResult } from './submit';
export { jobStats, jobStatsStatement, type JobStat, type StatsScope } from './stats';
export { failingServices, failingServicesStatement, DEFAULT_ERROR_LIMIT, type FailingOperation, type FailingScope } from './failing';
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
export { pruneFinishedJobs, type Retention } from './prune';
export { readQueueDepth, type QueueDepth } from './depth';
