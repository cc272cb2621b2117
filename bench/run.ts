// `npm run bench`: runs every figure script in its own process, one after another, then writes
// bench/results/latest.json and latest.md (one table) and prints the table with the machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { describeMachine, LOAD_SECONDS, markdownTable, RESULTS_DIR, ROOT, SERVER_URL, stopChild, type FigureResult, type Machine } from './harness';

const FIGURES = ['enqueue', 'drain', 'latency', 'stats', 'tenant-scope'] as const;
/** A figure takes about a minute, stats (seeding 4M rows) three on two busy cores; past this it is stuck and is stopped. */
const FIGURE_TIMEOUT_MS = 420_000;
const FIGURE_STOP_TIMEOUT_MS = 30_000;

const runId = `${Date.now()}-${process.pid}`;
const startedAt = new Date().toISOString();
const results: FigureResult[] = [];
const failed: string[] = [];

for (const figure of FIGURES) {
  console.log(`\n== ${figure} ==`);
  const child = spawn(process.execPath, ['--import', 'tsx', join('bench', `${figure}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, BENCH_RUN_ID: runId },
    stdio: 'inherit',
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => {
    console.error(`${figure} ran past ${FIGURE_TIMEOUT_MS / 1000} s; stopping it`);
    void stopChild(child, exited.then(() => undefined), FIGURE_STOP_TIMEOUT_MS);
  }, FIGURE_TIMEOUT_MS);
  const [code] = await exited;
  clearTimeout(timer);
  const result = await readResult(figure);
  if (code !== 0 || !result) failed.push(figure);
  else results.push(result);
}

const machine = await machineNow();
const rows = results.flatMap((r) => r.rows);
const missed = rows.filter((r) => r.met === false).map((r) => r.figure);
const machineLine = `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}; ${LOAD_SECONDS} s of load per figure`;
const markdown = [
  `# callgate benchmarks, ${startedAt.slice(0, 16).replace('T', ' ')} UTC`,
  '',
  machineLine,
  '',
  markdownTable(rows),
  '',
  ...(missed.length ? [`Missed: ${missed.join('; ')}.`] : ['Every target met.']),
  ...(failed.length ? [`Did not finish: ${failed.join(', ')}.`] : []),
  '',
].join('\n');
await writeFile(join(RESULTS_DIR, 'latest.md'), markdown);
await writeFile(
  join(RESULTS_DIR, 'latest.json'),
  `${JSON.stringify({ runId, startedAt, finishedAt: new Date().toISOString(), machine, loadSeconds: LOAD_SECONDS, figures: results, failed }, null, 2)}\n`,
);
console.log(`\n${markdown}`);
console.log(`written: ${join('bench', 'results', 'latest.md')}, latest.json`);
process.exitCode = failed.length ? 1 : 0;

/** The figure's JSON if this run wrote it; a file from an earlier run does not count. */
async function readResult(figure: string): Promise<FigureResult | undefined> {
  try {
    const result = JSON.parse(await readFile(join(RESULTS_DIR, `${figure}.json`), 'utf8')) as FigureResult;
    return result.runId === runId ? result : undefined;
  } catch {
    return undefined;
  }
}

async function machineNow(): Promise<Machine> {
  const sql = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    return await describeMachine(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
