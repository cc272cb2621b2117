// client/generated/ (typed documents and Apollo's possibleTypes) is committed: this fails when it no
// longer matches schema.graphql and client/operations/ (fix: `npm run codegen`), using codegen's `--check`.
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CODEGEN = join(ROOT, 'node_modules/.bin/graphql-codegen');
/** A run takes ~1 s alone, but a loaded CI box running other files in parallel can be 10× slower. */
const CODEGEN_TIMEOUT_MS = 60_000;

interface CheckResult {
  exitCode: number;
  output: string;
}

/** `graphql-codegen --check` writes nothing and exits 1 when any output file would change. */
function checkCodegen(cwd: string): Promise<CheckResult> {
  return new Promise((resolve) => {
    execFile(CODEGEN, ['--config', 'codegen.ts', '--check'], { cwd, timeout: CODEGEN_TIMEOUT_MS }, (err, stdout, stderr) => {
      const exitCode = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ exitCode, output: `${stdout}${stderr}` });
    });
  });
}

describe('client/generated', () => {
  it('matches schema.graphql and client/operations (else run `npm run codegen`)', { timeout: CODEGEN_TIMEOUT_MS }, async () => {
    const { exitCode, output } = await checkCodegen(ROOT);
    expect(exitCode, `client/generated is stale; run \`npm run codegen\`:\n${output}`).toBe(0);
  });

  // Guards the guard: a codegen upgrade that made --check a silent no-op would turn the test above green forever.
  it('is reported stale when an operation changes', { timeout: CODEGEN_TIMEOUT_MS }, async () => {
    const { exitCode, output } = await checkCodegenAfter(async (dir) => {
      const operation = join(dir, 'client/operations/job-updated.graphql');
      await writeFile(operation, (await readFile(operation, 'utf8')).replace(/\bcompletedAt\b/, 'completedAt\n    updatedAt'));
    });
    expect(exitCode).toBe(1);
    expect(output).toContain('client/generated/graphql.ts');
  });

  // Apollo Client's possibleTypes map: a new error type must reach it, or Apollo drops its `message`.
  it('is reported stale when a type joins the Error interface', { timeout: CODEGEN_TIMEOUT_MS }, async () => {
    const { exitCode, output } = await checkCodegenAfter(async (dir) => {
      await appendFile(join(dir, 'schema.graphql'), '\ntype TeapotError implements Error {\n  message: String!\n}\n');
    });
    expect(exitCode).toBe(1);
    expect(output).toContain('client/generated/possible-types.ts');
  });
});

/** `--check` on a copy of the codegen inputs and outputs after `edit` changed the copy. */
async function checkCodegenAfter(edit: (dir: string) => Promise<void>): Promise<CheckResult> {
  const dir = await mkdtemp(join(tmpdir(), 'callgate-codegen-'));
  try {
    for (const path of ['codegen.ts', 'schema.graphql', 'client/operations', 'client/generated']) {
      await cp(join(ROOT, path), join(dir, path), { recursive: true });
    }
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await edit(dir);
    return await checkCodegen(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
