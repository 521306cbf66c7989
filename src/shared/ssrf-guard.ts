import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { AppError } from './errors.ts';

/** Resolves a host name to every address it has. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

/** Options of the SSRF guard. */
export interface SsrfGuardOptions {
  /** `local` allows every target; `production` refuses loopback, private and link-local ones. */
  mode: 'local' | 'production';
  /** Exceptions in production: IPs, CIDRs (`10.1.0.0/16`) or host names. */
  allow?: readonly string[];
  resolve?: ResolveHost;
}

// Loopback, private (RFC 1918, RFC 4193), link-local, CGNAT, benchmarking, multicast and reserved ranges.
const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
];

const systemResolve: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    );
  });

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:7f00:1` → `127.0.0.1`). */
function mappedV4(address: string): string | undefined {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2] ?? '0', 16);
  const lo = parseInt(m[3] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function blocked(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of BLOCKED_V4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of BLOCKED_V6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

/**
 * Refuses targets on internal networks (webhooks, media URLs, flow fetches) unless the server runs in
 * local mode or the allow list names them (docs/security.md).
 */
export class SsrfGuard {
  readonly #mode: 'local' | 'production';
  readonly #blocked = blocked();
  readonly #allowed = new BlockList();
  readonly #allowedHosts = new Set<string>();
  readonly #resolve: ResolveHost;

  constructor(opts: SsrfGuardOptions) {
    this.#mode = opts.mode;
    this.#resolve = opts.resolve ?? systemResolve;
    for (const entry of opts.allow ?? []) {
      const [net = '', prefix] = entry.split('/');
      const family = isIP(net);
      if (family === 0) this.#allowedHosts.add(entry.toLowerCase());
      else
        this.#allowed.addSubnet(
          net,
          prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix),
          family === 4 ? 'ipv4' : 'ipv6',
        );
    }
  }

  /** True when `address` (an IP) may not be contacted. */
  isBlockedAddress(address: string): boolean {
    if (this.#mode === 'local') return false;
    const v4 = mappedV4(address) ?? (isIP(address) === 4 ? address : undefined);
    if (v4 !== undefined) return this.#blocked.check(v4, 'ipv4') && !this.#allowed.check(v4, 'ipv4');
    return this.#blocked.check(address, 'ipv6') && !this.#allowed.check(address, 'ipv6');
  }

  /** Throw AppError `SSRF_BLOCKED` when `uri`'s host is, or resolves to, a refused address. */
  async check(uri: string): Promise<void> {
    if (this.#mode === 'local') return;
    const host = new URL(uri).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.#allowedHosts.has(host)) return;
    const addresses = isIP(host) !== 0 ? [host] : await this.#resolve(host);
    const refused = addresses.find((a) => this.isBlockedAddress(a));
    if (refused !== undefined)
      throw new AppError('SSRF_BLOCKED', `target ${host} resolves to ${refused}, an internal address`);
  }

  /**
   * A `net.connect` lookup that re-checks the addresses at connect time, so a DNS answer that changes
   * after `check` (rebinding) cannot reach an internal address.
   */
  connectLookup(): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const allowedHost = this.#allowedHosts.has(hostname.toLowerCase());
        const refused = allowedHost ? undefined : addresses.find((a) => this.isBlockedAddress(a.address));
        if (refused)
          return callback(
            new AppError(
              'SSRF_BLOCKED',
              `target ${hostname} resolves to ${refused.address}, an internal address`,
            ) as NodeJS.ErrnoException,
            '',
            0,
          );
        if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        const first = addresses[0];
        return first
          ? callback(null, first.address, first.family)
          : callback(new Error(`no address for ${hostname}`) as NodeJS.ErrnoException, '', 0);
      });
    };
  }
}
