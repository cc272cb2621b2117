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
      retentionMs: 7 * 86_400_000,
      failedRetentionMs: 30 * 86_400_000,
      retentionIntervalMs: 60_000,
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

  it('reads retention as a duration with a unit', () => {
    expect(loadConfig({ CALLGATE_RETENTION: '12h', CALLGATE_RETENTION_FAILED: '90d' })).toMatchObject({
      retentionMs: 12 * 3_600_000,
      failedRetentionMs: 90 * 86_400_000,
    });
    expect(loadConfig({ CALLGATE_RETENTION: '90m' }).retentionMs).toBe(90 * 60_000);
  });

  it('names the retention variable that is not a duration it accepts', () => {
    for (const bad of ['7', 'seven days', '7w', '-1d', '0d', '30s', '4000d']) {
      for (const name of ['CALLGATE_RETENTION', 'CALLGATE_RETENTION_FAILED']) {
        const load = () => loadConfig({ [name]: bad });
        expect(load).toThrow(ConfigError);
        expect(load).toThrow(`${name}: must be a duration from 1m to 3650d like "7d", "12h" or "90m", got "${bad}"`);
      }
    }
  });

  it('reads secrets by name without copying them into the config', () => {
    const config = loadConfig({ PAY_TOKEN: 'sk_123' });
    expect(config.secret('PAY_TOKEN')).toBe('sk_123');
    expect(JSON.stringify(config)).not.toContain('sk_123');
  });
});
