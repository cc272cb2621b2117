export { enqueueJob, type NewJob, type Enqueued } from './enqueue';
export { claimJobs } from './claim';
export { completeJob, failJob, type AttemptRecord, type Finish } from './complete';
export { getJob, isJobId, listJobs, listAttempts, type JobsPage } from './read';
export { submitJob, type JobRequest, type SubmitResult } from './submit';
