// loadConfig(env): the only reader of process.env. A pure zod parse into a frozen Config, so a
// bad variable stops the start with its name instead of surfacing later as a strange failure.
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration';

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(unsetIfEmpty, z.string().optional());

/**
 * Plain decimal digits only: Number() would also take "0x1126", "1e3" or " 12 ", so a typo or a
 * hex value would start the gateway on a port nobody asked for.
 */
const decimalInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a plain decimal integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const intVar = (min: number, max: number, fallback: number) =>
  z.preprocess(unsetIfEmpty, decimalInt(min, max).default(fallback));

/**
 * Checked here as postgres.js will read it, so a mistake names DATABASE_URL instead of surfacing
 * as "Invalid URL" or "URI malformed" from deep in the driver. Messages never quote the value:
 * it usually holds a password.
 */
const databaseUrl = z.string().superRefine((value, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (!/^postgres(ql)?:\/\//.test(value)) return fail('must be a postgres:// or postgresql:// URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('is not a valid URL (expected postgres://user:password@host:5432/database; percent-encode special characters)');
  }
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch {
    fail('has a malformed percent-encoding in its user name, password or database name');
  }
});

/** A host name, an IP address or a CIDR block (`10.1.0.0/16`, `fd00::/8`). */
const OUTBOUND_HOST = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;
const outboundAllow = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const entries = value.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
      for (const entry of entries) {
        if (!isHostOrCidr(entry)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is neither a host name, an IP address nor a CIDR block` });
        }
      }
      return Object.freeze(entries);
    }),
);

function isHostOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (prefix === undefined) return family !== 0 || OUTBOUND_HOST.test(entry);
  if (extra !== undefined || family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Exact origins (`https://ops.example.com`, scheme and host, no path): CORS is granted to these
 * only, so a page on any other site cannot read answers. `*` is refused: it would grant everyone.
 */
const corsOrigins = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
      for (const entry of entries) {
        if (!isOrigin(entry)) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin like https://ops.example.com` });
      }
      return Object.freeze(entries);
    }),
);

function isOrigin(entry: string): boolean {
  try {
    const url = new URL(entry);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry;
  } catch {
    return false;
  }
}

/**
 * Where providers reach this gateway from outside (the base of async operations' return
 * addresses): an http(s) URL, optionally with a path prefix, without query, fragment or credentials.
 */
const publicUrl = z.preprocess(
  unsetIfEmpty,
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://gateway.example.com' })
    .refine((v) => !/[?#@]/.test(v), 'must not carry a query, fragment or user name')
    .optional(),
);

/** Shorter than a minute, a job would be gone before a client polling for its result could read it. */
const MIN_RETENTION_MS = 60_000;
/** Ten years: beyond that the number is a typo, and keeping everything is better said by a large value. */
const MAX_RETENTION_MS = 3_650 * 86_400_000;

const retention = (fallback: string) =>
  z.preprocess(unsetIfEmpty, z.string().default(fallback)).transform((value, ctx) => {
    try {
      return parseDuration(value, { minMs: MIN_RETENTION_MS, maxMs: MAX_RETENTION_MS });
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a duration from 1m to 3650d like "7d", "12h" or "90m", got "${value}"` });
      return z.NEVER;
    }
  });

const EnvSchema = z.object({
  DATABASE_URL: z.preprocess(unsetIfEmpty, databaseUrl.optional()),
  CALLGATE_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().default('./.callgate')),
  PORT: intVar(0, 65535, 4000),
  HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
  CALLGATE_SERVICES_FILE: z.preprocess(unsetIfEmpty, z.string().default('./services.yaml')),
  WORKER_CONCURRENCY: intVar(0, 10_000, 32),
  WORKER_POLL_INTERVAL_MS: intVar(10, 3_600_000, 1_000),
  CALLGATE_INSTANCE_ID: optionalString,
  CALLGATE_SWEEP_INTERVAL_MS: intVar(10, 3_600_000, 5_000),
  CALLGATE_DRAIN_GRACE_MS: intVar(0, 3_600_000, 10_000),
  CALLGATE_COMPLETION_BATCH_MS: intVar(0, 10_000, 2),
  CALLGATE_MAX_RESPONSE_BYTES: intVar(1, 1_073_741_824, 1_048_576),
  CALLGATE_RETENTION: retention('7d'),
  CALLGATE_RETENTION_FAILED: retention('30d'),
  CALLGATE_RETENTION_INTERVAL_MS: intVar(10, 86_400_000, 60_000),
  CALLGATE_MOCK_SEED: z.preprocess(unsetIfEmpty, decimalInt(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).optional()),
  CALLGATE_OUTBOUND_ALLOW: outboundAllow,
  CALLGATE_MAX_BODY_BYTES: intVar(1_024, 1_073_741_824, 1_048_576),
  CALLGATE_MAX_INPUT_BYTES: intVar(1, 1_073_741_824, 262_144),
  CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES: intVar(1_024, 1_073_741_824, 16_777_216),
  CALLGATE_RATE_LIMIT_PER_MINUTE: intVar(0, 100_000_000, 6_000),
  CALLGATE_CORS_ORIGINS: corsOrigins,
  CALLGATE_PUBLIC_URL: publicUrl,
  NODE_ENV: optionalString,
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
  /** How long a finished attempt waits for others to be written in the same statement (src/worker/batching-store.ts). @default 2 */
  readonly completionBatchMs: number;
  /** On SIGTERM, how long in-flight calls may run before they are aborted and put back. @default 10000 */
  readonly drainGraceMs: number;
  /** Larger upstream response bodies end the attempt as invalid_response. @default 1 MiB */
  readonly maxResponseBytes: number;
  /** Finished jobs (except FAILED) and their attempts are deleted this long after they finished. @default 7 days */
  readonly retentionMs: number;
  /** The same for FAILED jobs, kept longer as dead letters to inspect and retry. @default 30 days */
  readonly failedRetentionMs: number;
  /** How often this instance deletes expired jobs. @default 60000 */
  readonly retentionIntervalMs: number;
  /**
   * Hosts, IP addresses and CIDR blocks that services registered through the API may reach even
   * though the SSRF guard refuses them otherwise (an internal API on 10.0.0.0/8). @default none
   */
  readonly outboundAllow: readonly string[];
  /** Larger HTTP request bodies are refused with 413 before they are read. @default 1 MiB */
  readonly maxBodyBytes: number;
  /** A callService input larger than this (as JSON) is an InvalidInputError; well under maxBodyBytes. @default 256 KiB */
  readonly maxInputBytes: number;
  /** Job input and output one GraphQL response may carry; past it Job.input/output are PAYLOAD_BUDGET_EXCEEDED errors. @default 16 MiB */
  readonly maxResponsePayloadBytes: number;
  /** callService calls per API key (per tenant for keyless callers) and minute; 0 turns the limit off. @default 6000 */
  readonly rateLimitPerMinute: number;
  /** Browser origins granted CORS (`https://ops.example.com`); none by default: same origin only. */
  readonly corsOrigins: readonly string[];
  /**
   * The gateway's address as providers see it; async operations' return addresses are this +
   * `/callbacks/<token>`. @default `http://<HOST>:<port listened on>` (loopback for 0.0.0.0 and ::)
   */
  readonly publicUrl: string | undefined;
  /** NODE_ENV=production: every request needs an API key; GraphiQL and introspection only for ops and admin keys. */
  readonly production: boolean;
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
    completionBatchMs: e.CALLGATE_COMPLETION_BATCH_MS,
    maxResponseBytes: e.CALLGATE_MAX_RESPONSE_BYTES,
    retentionMs: e.CALLGATE_RETENTION,
    failedRetentionMs: e.CALLGATE_RETENTION_FAILED,
    retentionIntervalMs: e.CALLGATE_RETENTION_INTERVAL_MS,
    mockSeed: e.CALLGATE_MOCK_SEED,
    outboundAllow: e.CALLGATE_OUTBOUND_ALLOW,
    maxBodyBytes: e.CALLGATE_MAX_BODY_BYTES,
    maxInputBytes: e.CALLGATE_MAX_INPUT_BYTES,
    maxResponsePayloadBytes: e.CALLGATE_MAX_RESPONSE_PAYLOAD_BYTES,
    rateLimitPerMinute: e.CALLGATE_RATE_LIMIT_PER_MINUTE,
    corsOrigins: e.CALLGATE_CORS_ORIGINS,
    publicUrl: e.CALLGATE_PUBLIC_URL,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    secret: (name: string) => env[name],
  });
}
