// No Docker engine runs here, so the image is checked by reading its recipe: a build stage that
// bundles dist/, a runtime stage with production dependencies only, a non-root user, the compiled
// entry point and a health check. The bundle itself is built and started by the npm start tests.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

interface Stage {
  from: string;
  lines: string[];
}

async function stages(): Promise<Stage[]> {
  const text = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
  // Continuation lines belong to the instruction above them.
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const result: Stage[] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) result.push({ from: line, lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

describe('Dockerfile', () => {
  it('builds in one stage and runs on Node 22 or 24 LTS in a slim second stage', async () => {
    const all = await stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage.from).toMatch(/^FROM node:(22|24)[-.\w]*(\s+AS\s+\w+)?$/i);
    const runtime = all.at(-1)!;
    expect(runtime.from).toMatch(/slim/);
    expect(all[0]!.lines.some((l) => /^RUN .*npm run build/.test(l))).toBe(true);
  });

  it('installs only production dependencies in the runtime stage and copies the bundle from the build', async () => {
    const runtime = (await stages()).at(-1)!;
    expect(runtime.lines.some((l) => /^RUN npm ci\b.*--omit=dev/.test(l))).toBe(true);
    expect(runtime.lines.some((l) => /^COPY --from=\w+ \/app\/dist/.test(l))).toBe(true);
    expect(runtime.lines.some((l) => /^COPY drizzle\b/.test(l))).toBe(true);
    expect(runtime.lines.join('\n')).not.toMatch(/tsx/);
  });

  it('runs node on dist/main.js as a non-root user, with a health check', async () => {
    const runtime = (await stages()).at(-1)!;
    const user = runtime.lines.findLast((l) => /^USER\s/.test(l));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    const cmd = runtime.lines.findLast((l) => /^(CMD|ENTRYPOINT)\s/.test(l))!;
    expect(JSON.parse(cmd.replace(/^(CMD|ENTRYPOINT)\s+/, ''))).toEqual(expect.arrayContaining(['node', 'dist/main.js']));
    expect(runtime.lines.indexOf(user!)).toBeLessThan(runtime.lines.indexOf(cmd));
    expect(runtime.lines.some((l) => /^HEALTHCHECK\s.*\/healthz/.test(l))).toBe(true);
  });
});
