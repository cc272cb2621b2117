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
      completionBatchMs: 2,
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

  it('accepts plain decimal integers only', () => {
    for (const [name, value] of [['PORT', '0x1126'], ['PORT', '1e3'], ['PORT', ' 80'], ['PORT', '80.0'], ['WORKER_CONCURRENCY', '0b11'], ['CALLGATE_MOCK_SEED', '0o7']]) {
      const load = () => loadConfig({ [name as string]: value });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(`${name}: must be a plain decimal integer`);
    }
    expect(loadConfig({ PORT: '4390', CALLGATE_MOCK_SEED: '-7' })).toMatchObject({ port: 4390, mockSeed: -7 });
  });

  it('names DATABASE_URL when postgres.js could not read it, without quoting the password', () => {
    for (const url of ['postgres://u:hunter2@db:99999/x', 'postgres://u:hunter2@[::1/x', 'postgres://u:hunt%zz@db/x', 'http://u:hunter2@db/x']) {
      const load = () => loadConfig({ DATABASE_URL: url });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/^invalid environment: DATABASE_URL: /);
      expect(load).not.toThrow(/hunt/);
    }
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p%40ss@127.0.0.1:5432/callgate' }).databaseUrl).toBe(
      'postgresql://u:p%40ss@127.0.0.1:5432/callgate',
    );
  });

  it('reads CALLGATE_OUTBOUND_ALLOW as host names, addresses and CIDR blocks', () => {
    expect(loadConfig({}).outboundAllow).toEqual([]);
    expect(loadConfig({ CALLGATE_OUTBOUND_ALLOW: ' Internal.Example , 10.1.0.0/16,fd00::/8, 192.168.1.5 ' }).outboundAllow).toEqual([
      'internal.example',
      '10.1.0.0/16',
      'fd00::/8',
      '192.168.1.5',
    ]);
    for (const bad of ['10.0.0.0/33', 'http://x', 'a b', '10.0.0.0/8/1', 'host/8']) {
      expect(() => loadConfig({ CALLGATE_OUTBOUND_ALLOW: bad })).toThrow('CALLGATE_OUTBOUND_ALLOW: ');
    }
  });

  it('reads CALLGATE_PUBLIC_URL as an http(s) URL without query, fragment or credentials', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ CALLGATE_PUBLIC_URL: 'https://gw.example.com/edge' }).publicUrl).toBe('https://gw.example.com/edge');
    for (const bad of ['gw.example.com', 'ftp://gw.example.com', 'https://gw.example.com/?a=1', 'https://u:p@gw.example.com', 'https://gw.example.com/#x']) {
      expect(() => loadConfig({ CALLGATE_PUBLIC_URL: bad }), bad).toThrow(/CALLGATE_PUBLIC_URL/);
    }
  });

  it('reads secrets by name without copying them into the config', () => {
    const config = loadConfig({ PAY_TOKEN: 'sk_123' });
    expect(config.secret('PAY_TOKEN')).toBe('sk_123');
    expect(JSON.stringify(config)).not.toContain('sk_123');
  });
});
