// Runs the CLI as a user does, in a child process (`node --import tsx src/cli.ts …`), and returns
// its exit code and both outputs for the CLI tests to compare.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** tsx compiles the CLI and PGlite loads its WebAssembly on each start: seconds, a minute on saturated cores. */
const CLI_TIMEOUT_MS = 150_000;

/** `env` is added to this process's environment; an undefined value removes the variable. */
export function runCliProcess(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: childEnv, timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') return reject(new Error(`callgate ${args.join(' ')} did not exit normally (${err?.message}, signal ${(err as { signal?: unknown } | null)?.signal}): ${stderr}`));
      resolve({ code, stdout, stderr });
    });
  });
}
