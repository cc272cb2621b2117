// The SSRF guard for services registered through the API: an undici Agent that refuses to connect
// to this machine, its networks or a cloud metadata endpoint, judged on the address it connects to.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';

/** Why a connection was refused; the http client reports it as a request that cannot be sent. */
export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
  readonly code = 'CALLGATE_OUTBOUND_REFUSED';
}

type Range = readonly [address: string, prefix: number, what: string];

/**
 * Addresses no service registered by a tenant may reach. Cloud metadata endpoints sit inside them:
 * 169.254.169.254 (AWS, GCP, Azure), 100.100.100.200 (Alibaba), 192.0.0.192 (Oracle),
 * fd00:ec2::254 (AWS IPv6).
 */
const REFUSED_IPV4: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];
const REFUSED_IPV6: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['fc00::', 7, 'unique local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'discard-only'],
];

const blockOf = ([address, prefix]: Range, family: 'ipv4' | 'ipv6') => {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list;
};
const IPV4_RULES = REFUSED_IPV4.map((range) => ({ what: range[2], list: blockOf(range, 'ipv4') }));
const IPV6_RULES = REFUSED_IPV6.map((range) => ({ what: range[2], list: blockOf(range, 'ipv6') }));

interface OutboundPolicy {
  /** A host name listed in CALLGATE_OUTBOUND_ALLOW: connected to without any check. */
  hostAllowed(hostname: string): boolean;
  /** Why `address` may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined;
}

/** `allow` holds host names, IP addresses and CIDR blocks, as config.ts validated them. */
export function createOutboundPolicy(allow: readonly string[]): OutboundPolicy {
  const hosts = new Set<string>();
  const allowed = new BlockList();
  for (const entry of allow) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) hosts.add(normalHost(entry));
    else allowed.addSubnet(address, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  const refusal = (address: string): string | undefined => {
    const family = isIP(address);
    if (family === 0) return 'not an IP address';
    if (allowed.check(address, family === 4 ? 'ipv4' : 'ipv6')) return undefined;
    if (family === 4) return IPV4_RULES.find((rule) => rule.list.check(address, 'ipv4'))?.what;
    const own = IPV6_RULES.find((rule) => rule.list.check(address, 'ipv6'))?.what;
    if (own) return own;
    const embedded = embeddedIPv4(address);
    return embedded === undefined ? undefined : refusal(embedded);
  };
  return { hostAllowed: (hostname) => hosts.has(normalHost(hostname)), refusal };
}

interface GuardedAgentOptions {
  /** CALLGATE_OUTBOUND_ALLOW. @default none */
  allow?: readonly string[];
  /** Resolves host names; tests pass a stub so that nothing leaves loopback. @default dns.lookup */
  lookup?: LookupFunction;
}

/**
 * Every connection's address is checked when it is made, after DNS: a name that resolved to a
 * public address at registration and to 127.0.0.1 now (DNS rebinding) is refused. A literal IP
 * (WHATWG URL parsing has already turned `2130706433` or `0177.0.0.1` into 127.0.0.1) never
 * reaches a resolver, so it is checked before connecting.
 */
export function createGuardedAgent(opts: GuardedAgentOptions = {}): Agent {
  const policy = createOutboundPolicy(opts.allow ?? []);
  const resolve: LookupFunction = opts.lookup ?? dnsLookup;
  const trusted = buildConnector({ lookup: resolve });
  const guarded = buildConnector({ lookup: guardedLookup(policy, resolve) });
  const connect: buildConnector.connector = (options, callback) => {
    if (policy.hostAllowed(options.hostname)) return trusted(options, callback);
    const why = isIP(options.hostname) !== 0 ? policy.refusal(options.hostname) : undefined;
    if (why !== undefined) return callback(refused(options.hostname, options.hostname, why), null);
    return guarded(options, callback);
  };
  return new Agent({ connect });
}

/** Resolves every address of a name and refuses the connection if any one of them is refused. */
function guardedLookup(policy: OutboundPolicy, resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '', 0);
      const addresses = Array.isArray(found) ? found : [{ address: found, family: isIP(found) } satisfies LookupAddress];
      for (const { address } of addresses) {
        const why = policy.refusal(address);
        if (why !== undefined) return callback(refused(hostname, address, why), '', 0);
      }
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

function refused(host: string, address: string, why: string): OutboundRefusedError {
  const target = host === address ? address : `${host} (${address})`;
  return new OutboundRefusedError(
    `outbound connection to ${target} refused: ${why} address (add it to CALLGATE_OUTBOUND_ALLOW to allow it)`,
  );
}

function normalHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or NAT64
 * (64:ff9b::a.b.c.d) address: each reaches that IPv4 host, so it is judged as that host.
 */
function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const zeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  const mapped = zeros(5) && groups[5] === 0xffff;
  const compatible = zeros(6);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!mapped && !compatible && !nat64) return undefined;
  const [hi = 0, lo = 0] = groups.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address, `::` expanded and a dotted tail converted. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => parseInt(g, 16));
}
