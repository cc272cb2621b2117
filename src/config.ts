// loadConfig(env): the only reader of process.env. A pure zod parse into a frozen Config, so a
// bad variable stops the start with its name instead of surfacing later as a strange failure.
import { z } from 'zod';

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(unsetIfEmpty, z.string().optional());

const EnvSchema = z.object({
  DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  CALLGATE_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().default('./.callgate')),
  PORT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).default(4000)),
  HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
  CALLGATE_SERVICES_FILE: z.preprocess(unsetIfEmpty, z.string().default('./services.yaml')),
  WORKER_CONCURRENCY: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(10_000).default(32)),
  WORKER_POLL_INTERVAL_MS: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(10).max(3_600_000).default(1_000),
  ),
  CALLGATE_INSTANCE_ID: optionalString,
  CALLGATE_SWEEP_INTERVAL_MS: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(10).max(3_600_000).default(5_000)),
  CALLGATE_DRAIN_GRACE_MS: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(3_600_000).default(10_000)),
  CALLGATE_MAX_RESPONSE_BYTES: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(1).max(1_073_741_824).default(1_048_576)),
  CALLGATE_MOCK_SEED: z.preprocess(unsetIfEmpty, z.coerce.number().int().optional()),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export interface Config {
  /** Unset: the embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** @default './.callgate' */
  readonly dataDir: string;
  /** @default 4000 */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host: string;
  /** @default './services.yaml' */
  readonly servicesFile: string;
  /** Concurrent jobs this instance runs; 0 serves the API only. @default 32 */
  readonly workerConcurrency: number;
  /** Fallback claim poll when no NOTIFY arrives. @default 1000 */
  readonly pollIntervalMs: number;
  /** Names this instance in `jobs.locked_by`. @default `<hostname>-<pid>` */
  readonly instanceId: string | undefined;
  /** Seeds the mock services' random draws, so a demo or load test replays the same faults. @default unset: Math.random */
  readonly mockSeed: number | undefined;
  /** How often this instance looks for expired leases and overdue jobs. @default 5000 */
  readonly sweepIntervalMs: number;
  /** On SIGTERM, how long in-flight calls may run before they are aborted and put back. @default 10000 */
  readonly drainGraceMs: number;
  /** Larger upstream response bodies end the attempt as invalid_response. @default 1 MiB */
  readonly maxResponseBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Reads a secret that a service's auth config names; secrets are never copied into Config. */
  readonly secret: (name: string) => string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CALLGATE_DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    servicesFile: e.CALLGATE_SERVICES_FILE,
    workerConcurrency: e.WORKER_CONCURRENCY,
    pollIntervalMs: e.WORKER_POLL_INTERVAL_MS,
    instanceId: e.CALLGATE_INSTANCE_ID,
    sweepIntervalMs: e.CALLGATE_SWEEP_INTERVAL_MS,
    drainGraceMs: e.CALLGATE_DRAIN_GRACE_MS,
    maxResponseBytes: e.CALLGATE_MAX_RESPONSE_BYTES,
    mockSeed: e.CALLGATE_MOCK_SEED,
    logLevel: e.LOG_LEVEL,
    secret: (name: string) => env[name],
  });
}
