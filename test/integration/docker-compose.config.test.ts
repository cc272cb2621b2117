// docker-compose.yml is the deployment path, yet nothing else would notice if it stopped parsing
// or stopped wiring the gateway to PostgreSQL. docker-compose checks the file offline (no engine).
import { execFile as execFileCallback } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const execFile = promisify(execFileCallback);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** ENOENT means not installed; any other failure still counts as installed and shows up below. */
async function dockerComposeInstalled(): Promise<boolean> {
  try {
    await execFile('docker-compose', ['version']);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

const installed = await dockerComposeInstalled();
// CI must check the file for real (.ci/run installs docker-compose); elsewhere a skip is fine.
const required = Boolean(process.env.CI);
const skipped = !installed && !required;

interface ComposeService {
  image?: string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown };
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
}

describe('docker-compose.yml', () => {
  it.skipIf(skipped)(
    `docker-compose config -q accepts docker-compose.yml${skipped ? ' (skipped: docker-compose not installed)' : ''}`,
    async () => {
      if (!installed) {
        throw new Error('docker-compose is not on PATH, but CI is set: CI must check the compose file (.ci/run installs it)');
      }
      const { stdout, stderr } = await execFile('docker-compose', ['config', '-q'], { cwd: repoRoot });
      expect(stdout).toBe('');
      expect(stderr).toBe('');
    },
  );

  it('runs the gateway against the postgres:16 service, started only once PostgreSQL is healthy', async () => {
    const compose = parse(await readFile(join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, ComposeService>;
    };
    const { postgres, gateway } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:16(\.|-|$)/);
    expect(postgres?.healthcheck?.test).toBeDefined();
    expect(gateway?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });

    const db = environmentOf(postgres!);
    const url = new URL(environmentOf(gateway!).DATABASE_URL ?? '');
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(db.POSTGRES_USER);
    expect(url.password).toBe(db.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${db.POSTGRES_DB}`);
  });
});
