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
    logLevel: e.LOG_LEVEL,
    secret: (name: string) => env[name],
  });
}
