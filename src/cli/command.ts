// What a CLI command is (its words, flags, help and run), the exit codes scripts rely on, and the
// errors that carry them. Each command group (jobs.ts, services.ts, …) exports a list of these.
import type { Config } from '../config';
import type { Database } from '../db/client';

/** Documented in `callgate --help` and the README; scripts branch on them, so they never change. */
export const EXIT = Object.freeze({
  ok: 0,
  /** The database is unreachable or locked, a statement failed, anything unexpected. */
  failure: 1,
  /** Unknown command or flag, a missing or extra argument, a malformed value. */
  usage: 2,
  /** The job or service named does not exist (for this tenant). */
  notFound: 3,
  /** The job's status does not allow the action (retry a SUCCEEDED job, cancel a FAILED one). */
  refused: 4,
});

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const notFound = (message: string) => new CliError(message, EXIT.notFound);
export const refused = (message: string) => new CliError(message, EXIT.refused);

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Shown in help after the flag: `--window <duration>`. */
  value?: string;
  description: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface CommandContext {
  config: Config;
  /** Opened on first use, so usage errors and --help never touch the database. */
  database(): Promise<Database>;
}

/** What a command prints: `text` by default, `json` (JSON.stringify'd) with --json. */
interface Output {
  text: string;
  json: unknown;
}

export interface Command {
  /** The words after `callgate`, e.g. ['jobs', 'list']. */
  path: readonly string[];
  /** Positional arguments by name, all required, e.g. ['ID']. */
  args?: readonly string[];
  /** One line, for the command lists. */
  summary: string;
  /** Paragraphs shown by --help under the usage line. */
  help?: string;
  options?: Record<string, OptionSpec>;
  /** Only `migrate`: may create an embedded database that does not exist yet. */
  createsDatabase?: boolean;
  run(input: { values: Values; args: string[] }, ctx: CommandContext): Promise<Output>;
}

/** Every command takes these two; the dispatcher handles them. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print JSON instead of a table, for scripts' },
  help: { type: 'boolean', description: 'show this help' },
};

/** The tenant of every tenant-scoped read and action, until the CLI takes keys or a --tenant. */
export const TENANT_NOTE = 'Reads and acts on the default tenant (DEFAULT_TENANT_ID) only.';

/** A `--limit`-style flag: a whole number within bounds, else a usage error naming the flag. */
export function intOption(values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw usageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

export function stringOption(values: Values, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}
