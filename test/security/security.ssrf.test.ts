// The SSRF guard on services registered through the API: refused targets get no connection and a
// clear, non-retryable error. Names resolve through a stub and a tripwire on net.connect fails any
// attempt to reach a non-loopback address, so no packet ever leaves this machine.
import type { LookupAddress } from 'node:dns';
import { createRequire } from 'node:module';
import type * as Net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import { createOutboundPolicy } from '../../src/clients/ssrf';
import type { UpstreamClient } from '../../src/clients/types';
import { callRequest, expectRefusedUnsent, startRecordingServer, type RecordingServer } from './outbound-fixtures';

const net = createRequire(import.meta.url)('node:net') as typeof Net;
const realConnect = net.connect;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Where net.connect was asked to go; the tripwire throws for anything but loopback. */
const dialled: string[] = [];

/** The only resolver the guarded agent sees: *.test names, all loopback. */
const STUB_DNS: Record<string, LookupAddress[]> = {
  'rebind.test': [{ address: '127.0.0.1', family: 4 }],
  'mixed.test': [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
  'allowed.test': [{ address: '127.0.0.1', family: 4 }],
};
const stubLookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  const found = STUB_DNS[hostname];
  if (!found) return callback(Object.assign(new Error(`stub: no ${hostname}`), { code: 'ENOTFOUND' }));
  if (options.all) return callback(null, found);
  return callback(null, found[0]!.address, found[0]!.family);
}) as unknown as Net.LookupFunction;

let sentinel: RecordingServer;
let sentinel6: RecordingServer;
let client: UpstreamClient;

beforeAll(async () => {
  vi.spyOn(net, 'connect').mockImplementation(((options: Net.NetConnectOpts) => {
    const host = String((options as { host?: string }).host);
    dialled.push(host);
    if (net.isIP(host) && !LOOPBACK.has(host)) throw new Error(`tripwire: a connection to ${host} was attempted`);
    return realConnect(options);
  }) as typeof net.connect);
  sentinel = await startRecordingServer();
  sentinel6 = await startRecordingServer(undefined, '::1');
  client = createHttpClient({ secret: () => undefined, lookup: stubLookup, outboundAllow: ['allowed.test'] });
});
afterEach(() => {
  dialled.length = 0;
});
afterAll(async () => {
  await client.close();
  await sentinel.close();
  await sentinel6.close();
  vi.restoreAllMocks();
});

const api = (baseUrl: string) => callRequest({ baseUrl, source: 'api' });

describe('a guarded client refuses', () => {
  it.each([
    ['127.0.0.1', () => sentinel.url, 'outbound connection to 127.0.0.1 refused: loopback address'],
    ['::1', () => sentinel6.url, 'outbound connection to ::1 refused: loopback address'],
    ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${sentinel.port}`, 'refused: loopback address'],
    ['a decimal IP (2130706433)', () => `http://2130706433:${sentinel.port}`, 'outbound connection to 127.0.0.1 refused: loopback'],
    ['an octal IP (0177.0.0.1)', () => `http://0177.0.0.1:${sentinel.port}`, 'outbound connection to 127.0.0.1 refused: loopback'],
    ['a hex IP (0x7f.1)', () => `http://0x7f.1:${sentinel.port}`, 'outbound connection to 127.0.0.1 refused: loopback'],
    ['a name that resolves to loopback (DNS rebinding)', () => `http://rebind.test:${sentinel.port}`,
      'outbound connection to rebind.test (127.0.0.1) refused: loopback address'],
    ['a name with a loopback address among others', () => `http://mixed.test:${sentinel.port}`, 'refused: loopback address'],
    ['0.0.0.0', () => `http://0.0.0.0:${sentinel.port}`, 'outbound connection to 0.0.0.0 refused: unspecified address'],
  ])('%s, with no connection to the target', async (_what, baseUrl, error) => {
    await expectRefusedUnsent(client, api(baseUrl()), error);
    expect(sentinel.connections + sentinel6.connections).toBe(0);
    expect(dialled.filter((host) => net.isIP(host))).toEqual([]);
  });

  it.each([
    ['10.0.0.1', 'http://10.0.0.1', 'private'],
    ['172.16.5.4', 'http://172.16.5.4', 'private'],
    ['192.168.1.1', 'http://192.168.1.1', 'private'],
    ['169.254.169.254 (cloud metadata)', 'http://169.254.169.254/latest/meta-data', 'link-local'],
    ['100.100.100.200 (CGNAT, Alibaba metadata)', 'http://100.100.100.200', 'carrier-grade NAT'],
    ['224.0.0.1', 'http://224.0.0.1', 'multicast'],
    ['fe80::1', 'http://[fe80::1]', 'link-local'],
    ['fd00:ec2::254 (unique local, AWS metadata)', 'http://[fd00:ec2::254]', 'unique local'],
    ['ff02::1', 'http://[ff02::1]', 'multicast'],
    ['::ffff:a9fe:a9fe (mapped metadata)', 'http://[::ffff:a9fe:a9fe]', 'link-local'],
    ['64:ff9b::a00:1 (NAT64 of 10.0.0.1)', 'http://[64:ff9b::a00:1]', 'private'],
  ])('%s without dialling it', async (_what, baseUrl, why) => {
    await expectRefusedUnsent(client, api(baseUrl), `refused: ${why} address`);
    expect(dialled).toEqual([]);
  });

  it('does not follow a redirect, not even to a host it would allow', async () => {
    const redirector = await startRecordingServer((_req, res) => {
      res.writeHead(302, { location: `http://allowed.test:${sentinel.port}/internal` });
      res.end();
    });
    try {
      const result = await client.call(api(`http://allowed.test:${redirector.port}`));
      expect(result).toMatchObject({ outcome: 'http_error', httpStatus: 302 });
      expect(redirector.requests).toHaveLength(1);
      expect(sentinel.connections).toBe(0);
    } finally {
      await redirector.close();
    }
  });
});

describe('what the guard lets through', () => {
  it('a host listed in CALLGATE_OUTBOUND_ALLOW', async () => {
    const result = await client.call(api(`http://allowed.test:${sentinel.port}/v1`));
    expect(result).toMatchObject({ outcome: 'success', output: { ok: true } });
    expect(sentinel.requests.at(-1)?.url).toBe('/v1/');
  });

  it('an address inside an allowed CIDR block', async () => {
    const allowing = createHttpClient({ secret: () => undefined, lookup: stubLookup, outboundAllow: ['127.0.0.0/8'] });
    try {
      expect(await allowing.call(api(sentinel.url))).toMatchObject({ outcome: 'success' });
      expect(await allowing.call(api(`http://rebind.test:${sentinel.port}`))).toMatchObject({ outcome: 'success' });
      expect((await allowing.call(api(sentinel6.url))).error).toMatch('refused: loopback address');
    } finally {
      await allowing.close();
    }
  });

  it('services from the file, which the operator trusts', async () => {
    expect(await client.call(callRequest({ baseUrl: sentinel.url, source: 'file' }))).toMatchObject({ outcome: 'success' });
    expect(await client.call(callRequest({ baseUrl: sentinel.url }))).toMatchObject({ outcome: 'success' });
    expect(dialled).toContain('127.0.0.1'); // the tripwire sees real connections, so its silence above means something
  });

  it('public addresses, by the policy alone (nothing is dialled)', () => {
    const policy = createOutboundPolicy([]);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1']) {
      expect(policy.refusal(address)).toBeUndefined();
    }
    for (const address of ['127.255.255.254', '::', '::127.0.0.1', '::ffff:10.1.2.3', '198.18.0.1', '255.255.255.255', '192.0.0.192']) {
      expect(policy.refusal(address)).toBeDefined();
    }
  });
});
