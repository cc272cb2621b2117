// The gateway as a child process (`node --import tsx src/main.ts`, the built bundle, or `npm start` in its
// own process group): for crash and drain tests, which need a process to kill, and for benchmarks.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Output kept for error messages and assertions; a chatty gateway cannot fill the memory. */
const MAX_OUTPUT_CHARS = 1024 * 1024;

export interface GqlResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}
/** tsx compiles src/ on the first start; on two busy cores that alone can take 10-20 s. */
const DEFAULT_START_TIMEOUT_MS = 45_000;
const READY = /GraphiQL at (http:\/\/\S+)/;

export interface GatewayProcessOptions {
  /** Unset: the embedded PGlite (then pass CALLGATE_DATA_DIR in env). */
  databaseUrl: string | undefined;
  servicesFile: string;
  /** Added to, or overriding, the defaults; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** @default 45000 */
  startTimeoutMs?: number;
  /** Node flags before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /**
   * `source`: src/main.ts through tsx, so tests need no build. `built`: dist/main.js as `npm start`
   * runs it (the caller runs `npm run build` first). `npm`: `npm start` itself (it builds first) in
   * a process group of its own, and kill() signals the whole group, as a terminal's Ctrl-C or a
   * process manager does; `nodeArgs` do not apply. @default 'source'
   */
  entry?: 'source' | 'built' | 'npm';
}

export interface GatewayProcess {
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  pid: number;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends a signal; a no-op once it has exited. */
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
}

/** Resolves once stdout shows `GraphiQL at <url>`; rejects with the output if it exits first or is too slow. */
export function startGatewayProcess(opts: GatewayProcessOptions): Promise<GatewayProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    CALLGATE_SERVICES_FILE: opts.servicesFile,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const group = opts.entry === 'npm';
  const script = opts.entry === 'built' ? ['--enable-source-maps', 'dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child = group
    ? spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [...(opts.nodeArgs ?? []), ...script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** A no-op once it has exited (for `npm`, once its whole group has). */
  const signal = (sig: NodeJS.Signals) => {
    if (!group) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      return;
    }
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // ESRCH: the group is gone.
    }
  };
  let output = '';
  let stdout = '';
  const keep = (d: Buffer) => {
    if (output.length < MAX_OUTPUT_CHARS) output += d.toString();
  };
  child.stdout.on('data', (d: Buffer) => {
    if (stdout.length < MAX_OUTPUT_CHARS) stdout += d.toString();
    keep(d);
  });
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      signal('SIGKILL');
      reject(new Error(`gateway process ${child.pid} ${why}; its output:\n${output}`));
    };
    const timer = setTimeout(() => fail(`printed no URL within ${opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms`), opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited (code ${code}, signal ${signal}) before it was ready`);
    const onError = (err: Error) => fail(`could not be spawned (${err.message})`);
    const onData = () => {
      const url = READY.exec(stdout)?.[1];
      if (!url) return;
      cleanup();
      resolve({
        url,
        pid: child.pid as number,
        output: () => output,
        kill: signal,
        exited,
        gql: async (query, variables) => {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ query, variables }),
          });
          return res.json() as Promise<GqlResponse<any>>;
        },
      });
    };
    function cleanup() {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.off('data', onData);
    }
    child.once('exit', onExit);
    child.once('error', onError);
    child.stdout.on('data', onData);
  });
}
