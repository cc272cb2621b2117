import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      databaseUrl: undefined,
      dataDir: './.callgate',
      port: 4000,
      host: '127.0.0.1',
      servicesFile: './services.yaml',
      workerConcurrency: 32,
      pollIntervalMs: 1_000,
      sweepIntervalMs: 5_000,
      drainGraceMs: 10_000,
      maxResponseBytes: 1_048_576,
      mockSeed: undefined,
      logLevel: 'info',
    });
  });

  it('treats empty variables as unset and coerces numbers', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '8080', WORKER_CONCURRENCY: '0' })).toMatchObject({
      databaseUrl: undefined,
      port: 8080,
      workerConcurrency: 0,
    });
  });

  it('names every bad variable', () => {
    const bad = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', WORKER_CONCURRENCY: '-1' });
    expect(bad).toThrow(ConfigError);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'WORKER_CONCURRENCY']) expect(bad).toThrow(name);
  });

  it('reads secrets by name without copying them into the config', () => {
    const config = loadConfig({ PAY_TOKEN: 'sk_123' });
    expect(config.secret('PAY_TOKEN')).toBe('sk_123');
    expect(JSON.stringify(config)).not.toContain('sk_123');
  });
});
