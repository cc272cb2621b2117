// A port already in use is the most common start failure; it must read as one clear line and exit
// 1, not as a WebSocket-server stack trace followed by the real reason.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('a port in use is one clear line and exit code 1', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  const dataDir = await mkdtemp(join(tmpdir(), 'callgate-port-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CALLGATE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' };
    delete env.DATABASE_URL;
    delete env.CALLGATE_SERVICES_FILE;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`callgate could not start: port ${port} on 127.0.0.1 is already in use (stop the other process or set PORT)`);
  } finally {
    blocker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 90_000);
