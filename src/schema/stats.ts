// jobStats and failingServices: what is slow and what is failing, per service operation, over a
// window ending now. The SQL lives in queue/stats.ts and queue/failing.ts; a failing operation
// carries its live breaker from breakers.ts, shown with the same BreakerStatus type as `services`.
import { DEFAULT_MIN_FAILURES, DEFAULT_STATS_WINDOW_MS, failingServices, jobStats, type FailingOperation, type JobStat } from '../queue';
import { badInput, builder } from './builder';
import { DurationScalar } from './duration';
import { BreakerStatus } from './service';

const JobStatusCounts = builder.objectRef<JobStat['byStatus']>('JobStatusCounts').implement({
  description: 'Jobs created in the window, by the status they have now.',
  fields: (t) => ({
    pending: t.exposeInt('pending'),
    running: t.exposeInt('running'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    cancelled: t.exposeInt('cancelled'),
    waitingCallback: t.exposeInt('waiting_callback'),
    timedOut: t.exposeInt('timed_out'),
    expired: t.exposeInt('expired'),
  }),
});

const CallDurations = builder.objectRef<NonNullable<JobStat['durationMs']>>('CallDurations').implement({
  description: 'Durations of the calls to the upstream in the window, in milliseconds (percentile_cont).',
  fields: (t) => ({
    avg: t.exposeFloat('avg'),
    p50: t.exposeFloat('p50'),
    p95: t.exposeFloat('p95'),
    p99: t.exposeFloat('p99'),
  }),
});

const JobStatType = builder.objectRef<JobStat>('JobStat').implement({
  description: 'One service operation over the window. Each figure counts what happened in the window: jobs created, jobs finished, calls made.',
  fields: (t) => ({
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    created: t.exposeInt('created', { description: 'Jobs created in the window.' }),
    byStatus: t.expose('byStatus', { type: JobStatusCounts }),
    finished: t.exposeInt('finished', { description: 'Jobs that reached a final status in the window.' }),
    succeeded: t.exposeInt('succeeded', { description: 'Of the finished jobs, those that succeeded.' }),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'succeeded / finished, 0..1; null when none finished.' }),
    attemptsPerFinishedJob: t.exposeFloat('attemptsPerFinishedJob', { nullable: true }),
    throughputPerMinute: t.exposeFloat('throughputPerMinute', { description: 'Jobs finished per minute of the window.' }),
    calls: t.exposeInt('calls', { description: 'Calls to the upstream that ended in the window (no breaker put-backs or lost leases).' }),
    durationMs: t.expose('durationMs', { type: CallDurations, nullable: true }),
    oldestPendingAgeMs: t.exposeFloat('oldestPendingAgeMs', {
      nullable: true,
      description: "How long this operation's longest-waiting due job has been due, whatever the window; null when none is.",
    }),
  }),
});

const FailingServiceType = builder.objectRef<FailingOperation>('FailingService').implement({
  description: 'A service operation whose calls failed at least minFailures times in the window.',
  fields: (t) => ({
    service: t.exposeString('service'),
    operation: t.exposeString('operation'),
    failures: t.exposeInt('failures', { description: 'Failed calls (HTTP errors, timeouts, network errors, invalid responses); a retried job counts each.' }),
    calls: t.exposeInt('calls'),
    failureRate: t.exposeFloat('failureRate', { description: 'failures / calls, 0..1.' }),
    lastFailureAt: t.expose('lastFailureAt', { type: 'DateTime' }),
    recentErrors: t.exposeStringList('recentErrors', { description: 'The most recent distinct error messages, newest first, at most 5.' }),
    breaker: t.field({
      type: BreakerStatus,
      description: "The operation's circuit breaker on the instance that answers.",
      resolve: (f, _args, ctx) => ctx.breakers.snapshot(f.service, f.operation),
    }),
  }),
});

builder.queryFields((t) => ({
  jobStats: t.field({
    type: [JobStatType],
    description: 'Per service operation over the window: jobs by status, success rate, attempts, call durations, throughput, queue lag. Ops and admin keys only.',
    authScopes: { ops: true },
    args: {
      window: t.arg({ type: DurationScalar, defaultValue: DEFAULT_STATS_WINDOW_MS }),
      service: t.arg.string(),
      operation: t.arg.string(),
    },
    resolve: (_root, { window, service, operation }, ctx) =>
      ctx.asTenant((tx) =>
        jobStats(tx, {
          tenantId: ctx.tenantId,
          windowMs: window ?? DEFAULT_STATS_WINDOW_MS,
          service: service ?? undefined,
          operation: operation ?? undefined,
        }),
      ),
  }),
  failingServices: t.field({
    type: [FailingServiceType],
    description: 'Operations with at least minFailures failed calls in the window, most failures first. Ops and admin keys only.',
    authScopes: { ops: true },
    args: {
      window: t.arg({ type: DurationScalar, defaultValue: DEFAULT_STATS_WINDOW_MS }),
      minFailures: t.arg.int({ defaultValue: DEFAULT_MIN_FAILURES }),
    },
    resolve: (_root, args, ctx) => {
      const minFailures = args.minFailures ?? DEFAULT_MIN_FAILURES;
      if (minFailures < 1) throw badInput(`minFailures must be at least 1, got ${minFailures}`);
      return ctx.asTenant((tx) => failingServices(tx, { tenantId: ctx.tenantId, windowMs: args.window ?? DEFAULT_STATS_WINDOW_MS, minFailures }));
    },
  }),
}));
