export { enqueueJob, type NewJob, type Enqueued } from './enqueue';
export { claimJobs } from './claim';
export { completeJob, failJob, putBack, recordAttempt, scheduleRetry, type AttemptRecord, type Ended, type Finish } from './finish';
export { recoverExpiredLeases, expireOverdueJobs } from './sweep';
export { cancelJob, retryJob, CANCELLABLE, RETRYABLE, type ActionResult } from './actions';
export { getJob, isJobId, listJobs, listAttempts, listAttemptLog, type JobsPage, type AttemptLogEntry, type AttemptLogPage } from './read';
export { submitJob, type JobRequest, type SubmitResult } from './submit';
