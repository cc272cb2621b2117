// `callgate jobs stats | failing | list | show ID | retry ID | cancel ID`: the job views ops reach
// for in an incident, and the two actions, all through the queue module's statements.
import { DEFAULT_TENANT_ID, JOB_STATUS, type JobRow, type JobStatus } from '../db/schema';
import { DurationError, formatDuration, parseDuration } from '../duration';
import {
  cancelJob,
  DEFAULT_MIN_FAILURES,
  DEFAULT_STATS_WINDOW_MS,
  CANCELLABLE,
  failingServices,
  jobStats,
  listJobs,
  retryJob,
  RETRYABLE,
  type ActionResult,
} from '../queue';
import { createRegistry } from '../registry';
import {
  intOption,
  notFound,
  refused,
  stringOption,
  TENANT_NOTE,
  usageError,
  type Command,
  type OptionSpec,
  type Values,
} from './command';
import { showJob } from './job-details';
import { registeredServices } from './services';
import { ERROR_WIDTH, formatAge, formatNumber, formatRate, formatTime, renderTable, truncate } from './table';

/** The GraphQL defaults: recent enough to show an incident, wide enough to hold a few thousand calls. */
const DEFAULT_WINDOW = formatDuration(DEFAULT_STATS_WINDOW_MS);
/** A screenful; scripts that want more say so. */
const DEFAULT_LIST_LIMIT = 20;
/** listJobs reads one page; past this a script should page through GraphQL's `jobs` instead. */
const MAX_LIST_LIMIT = 1_000;

const windowOption: OptionSpec = { type: 'string', value: 'duration', description: `window ending now, like 90m, 1h, 7d (default ${DEFAULT_WINDOW}, at most 30d)` };

function windowMs(values: Values): number {
  try {
    return parseDuration(stringOption(values, 'window') ?? DEFAULT_WINDOW);
  } catch (err) {
    if (err instanceof DurationError) throw usageError(`--window: ${err.message}`);
    throw err;
  }
}

function statusOption(values: Values): JobStatus | undefined {
  const raw = stringOption(values, 'status');
  if (raw === undefined) return undefined;
  const status = JOB_STATUS.find((s) => s === raw.toLowerCase());
  if (!status) throw usageError(`--status must be one of ${JOB_STATUS.join(', ')}, got "${raw}"`);
  return status;
}

const jobsListTable = (jobs: readonly JobRow[]) =>
  renderTable(
    [
      { header: 'ID' },
      { header: 'STATUS' },
      { header: 'SERVICE' },
      { header: 'OPERATION' },
      { header: 'ATTEMPTS', align: 'right' },
      { header: 'CREATED' },
      { header: 'LAST ERROR' },
    ],
    jobs.map((j) => [j.id, j.status, j.service, j.operation, `${j.attempts}/${j.maxAttempts}`, formatTime(j.createdAt), truncate(j.lastError, ERROR_WIDTH)]),
  );

/** The action's result, or the error (and exit code) a script can branch on. */
function acted(r: ActionResult, done: string): { text: string; json: unknown } {
  if (r.kind === 'not_found') throw notFound(`job ${r.id} not found`);
  if (r.kind === 'invalid_transition') {
    const allowed = (r.action === 'cancel' ? CANCELLABLE : RETRYABLE).join(', ');
    throw refused(`cannot ${r.action} job ${r.id}: it is ${r.status} (only ${allowed} jobs can be ${r.action === 'cancel' ? 'cancelled' : 'retried'})`);
  }
  return { text: `job ${r.job.id} ${done}: now ${r.job.status}`, json: r.job };
}

export const jobsCommands: readonly Command[] = [
  {
    path: ['jobs', 'stats'],
    summary: 'per service operation: jobs, success rate, call durations, throughput',
    help:
      'Counts what happened in the window: jobs created, jobs finished (success rate, attempts per job, ' +
      'throughput per minute), calls made (durations in ms, percentile_cont). OLDEST DUE is how long the ' +
      `longest-waiting due job has waited, whatever the window. ${TENANT_NOTE}`,
    options: {
      service: { type: 'string', value: 'name', description: 'only this service' },
      operation: { type: 'string', value: 'name', description: 'only this operation' },
      window: windowOption,
    },
    async run({ values }, ctx) {
      const scope = { tenantId: DEFAULT_TENANT_ID, windowMs: windowMs(values), service: stringOption(values, 'service'), operation: stringOption(values, 'operation') };
      const stats = await jobStats((await ctx.database()).db, scope);
      const text = renderTable(
        [
          { header: 'SERVICE' },
          { header: 'OPERATION' },
          { header: 'CREATED', align: 'right' },
          { header: 'FINISHED', align: 'right' },
          { header: 'SUCCESS', align: 'right' },
          { header: 'ATT/JOB', align: 'right' },
          { header: 'PER MIN', align: 'right' },
          { header: 'CALLS', align: 'right' },
          { header: 'AVG MS', align: 'right' },
          { header: 'P50', align: 'right' },
          { header: 'P95', align: 'right' },
          { header: 'P99', align: 'right' },
          { header: 'OLDEST DUE', align: 'right' },
        ],
        stats.map((s) => [
          s.service,
          s.operation,
          String(s.created),
          String(s.finished),
          formatRate(s.successRate),
          formatNumber(s.attemptsPerFinishedJob),
          // Two decimals: a quiet operation's 2 jobs an hour still shows (0.03), not 0.
          formatNumber(s.throughputPerMinute, 2),
          String(s.calls),
          formatNumber(s.durationMs?.avg),
          formatNumber(s.durationMs?.p50),
          formatNumber(s.durationMs?.p95),
          formatNumber(s.durationMs?.p99),
          formatAge(s.oldestPendingAgeMs),
        ]),
      );
      return { text: stats.length ? text : 'no jobs in the window', json: stats };
    },
  },
  {
    path: ['jobs', 'failing'],
    summary: 'operations whose calls failed at least --min-failures times in the window',
    help: `Failures are failed calls (attempts): a job tried three times counts three. ${TENANT_NOTE}`,
    options: {
      window: windowOption,
      'min-failures': { type: 'string', value: 'n', description: `failed calls to be listed (default ${DEFAULT_MIN_FAILURES})` },
    },
    async run({ values }, ctx) {
      const scope = { tenantId: DEFAULT_TENANT_ID, windowMs: windowMs(values), minFailures: intOption(values, 'min-failures', DEFAULT_MIN_FAILURES, 1, 1_000_000) };
      const failing = await failingServices((await ctx.database()).db, scope);
      if (failing.length === 0) return { text: 'no failing operations in the window', json: failing };
      const table = renderTable(
        [
          { header: 'SERVICE' },
          { header: 'OPERATION' },
          { header: 'FAILURES', align: 'right' },
          { header: 'CALLS', align: 'right' },
          { header: 'RATE', align: 'right' },
          { header: 'LAST FAILURE' },
        ],
        failing.map((f) => [f.service, f.operation, String(f.failures), String(f.calls), formatRate(f.failureRate), formatTime(f.lastFailureAt)]),
      );
      const errors = failing.map((f) => `${f.service}.${f.operation}, recent errors (newest first):\n${f.recentErrors.map((e) => `  ${e}`).join('\n')}`);
      return { text: [table, ...errors].join('\n\n'), json: failing };
    },
  },
  {
    path: ['jobs', 'list'],
    summary: 'the newest jobs, optionally of one status or service',
    help: TENANT_NOTE,
    options: {
      status: { type: 'string', value: 'status', description: JOB_STATUS.join(' | ') },
      service: { type: 'string', value: 'name', description: 'only this service' },
      limit: { type: 'string', value: 'n', description: `at most n jobs (default ${DEFAULT_LIST_LIMIT}, at most ${MAX_LIST_LIMIT})` },
    },
    async run({ values }, ctx) {
      const page = {
        tenantId: DEFAULT_TENANT_ID,
        status: statusOption(values),
        service: stringOption(values, 'service'),
        limit: intOption(values, 'limit', DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT),
      };
      const jobs = await listJobs((await ctx.database()).db, page);
      return { text: jobs.length ? jobsListTable(jobs) : 'no jobs', json: jobs };
    },
  },
  {
    path: ['jobs', 'show'],
    args: ['ID'],
    summary: 'one job with its parent, follow-ups, callback times and attempts',
    help: TENANT_NOTE,
    async run({ args: [id] }, ctx) {
      return showJob((await ctx.database()).db, id!);
    },
  },
  {
    path: ['jobs', 'retry'],
    args: ['ID'],
    summary: `run a ${RETRYABLE.join(', ')} job again, with a fresh attempt budget`,
    help: `The deadline is cleared: retrying is a decision to send it late. The job is leased for its operation's timeout as it is now. ${TENANT_NOTE}`,
    async run({ args: [id] }, ctx) {
      // The registry a gateway with this configuration serves: the job's lease follows its operation's timeout now.
      const registry = createRegistry(await registeredServices(ctx));
      return acted(await retryJob((await ctx.database()).db, DEFAULT_TENANT_ID, id!, registry), 'retried');
    },
  },
  {
    path: ['jobs', 'cancel'],
    args: ['ID'],
    summary: `cancel a ${CANCELLABLE.join(', ')} job`,
    help: `A running call is aborted by its worker when the change reaches it. ${TENANT_NOTE}`,
    async run({ args: [id] }, ctx) {
      return acted(await cancelJob((await ctx.database()).db, DEFAULT_TENANT_ID, id!), 'cancelled');
    },
  },
];
