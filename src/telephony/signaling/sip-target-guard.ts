import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipTargetPort } from '../../calls/index.ts';
import { SsrfGuard } from '../../shared/index.ts';
import type { ResolveHost } from '../../shared/index.ts';
import { destinationForUri } from '../../sip/index.ts';
import type { SendDestination } from '../../sip/index.ts';
import { sipUri } from './sip-uri.ts';

/** Options of a {@link SipTargetGuard}. */
export interface SipTargetGuardOptions {
  /** `local` dials anything; `production` refuses loopback, private and link-local hosts. */
  mode: 'local' | 'production';
  /** Exceptions in production (`allowedPrivateTargets(config)`): IPs, CIDRs or host names. */
  allow?: readonly string[];
  resolve?: ResolveHost;
}

/** What dialling a customer's SIP address may do: go to `destination` (the checked address), or nothing. */
export type SipTargetVerdict = { allowed: true; destination?: SendDestination } | { allowed: false; reason: string };

// The resolver the transport itself uses (getaddrinfo), so the check sees what a send would.
const systemResolve: ResolveHost = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address);

/** The lower-case host of a SIP address, without a trailing root dot; undefined when it is no SIP URI. */
function targetOf(target: string): SendDestination | undefined {
  try {
    const dest = destinationForUri(sipUri(target));
    return { ...dest, host: dest.host.toLowerCase().replace(/\.$/, '') };
  } catch {
    return undefined;
  }
}

/** RFC 6761 §6.3: `localhost` and names under it always mean the loopback interface. */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * Customer SIP destinations (calls API, flow `connect`/`call`, transfers) must not make callbin
 * send INVITEs into the operator's own network: in production mode a host that is, or resolves to,
 * a loopback, private or link-local address is refused, unless listed in `allowPrivateTargets`.
 * Up front (API 400) from the address alone; at dial time after DNS, and the INVITE then goes to
 * the address that was checked, so a DNS answer that changes in between cannot redirect it.
 */
export class SipTargetGuard implements SipTargetPort {
  readonly #mode: 'local' | 'production';
  readonly #ssrf: SsrfGuard;
  readonly #allowedHosts: ReadonlySet<string>;
  readonly #resolve: ResolveHost;

  constructor(options: SipTargetGuardOptions) {
    this.#mode = options.mode;
    const allow = options.allow ?? [];
    this.#ssrf = new SsrfGuard({ mode: options.mode, allow });
    this.#allowedHosts = new Set(
      allow.filter((entry) => isIP(entry.split('/')[0] ?? '') === 0).map((entry) => entry.toLowerCase()),
    );
    this.#resolve = options.resolve ?? systemResolve;
  }

  /** True in production mode, where dials are checked. */
  get enforcing(): boolean {
    return this.#mode === 'production';
  }

  refusal(target: string): string | undefined {
    if (!this.enforcing) return undefined;
    const dest = targetOf(target);
    if (!dest || this.#allowedHosts.has(dest.host)) return undefined;
    if (isIP(dest.host) !== 0 && this.#ssrf.isBlockedAddress(dest.host))
      return `${dest.host} is a loopback, private or link-local address`;
    if (isLocalhostName(dest.host)) return `${dest.host} is the loopback interface`;
    return undefined;
  }

  /** Resolves the address's host and checks every address it has; rejects when DNS fails. */
  async check(target: string): Promise<SipTargetVerdict> {
    if (!this.enforcing) return { allowed: true };
    const dest = targetOf(target);
    if (!dest) return { allowed: false, reason: `${target} is not a SIP address` };
    if (this.#allowedHosts.has(dest.host)) return { allowed: true };
    const early = this.refusal(target);
    if (early !== undefined) return { allowed: false, reason: early };
    const addresses = isIP(dest.host) !== 0 ? [dest.host] : await this.#resolve(dest.host);
    const refused = addresses.find((a) => this.#ssrf.isBlockedAddress(a));
    if (refused !== undefined)
      return { allowed: false, reason: `${dest.host} resolves to ${refused}, an internal address` };
    const pinned = addresses.find((a) => isIP(a) === 4) ?? addresses[0];
    if (pinned === undefined) return { allowed: false, reason: `${dest.host} has no address` };
    // TLS keeps the name: the peer's certificate is checked against it (RFC 5922 §7.2).
    return dest.transport === 'UDP' || dest.transport === 'TCP'
      ? { allowed: true, destination: { ...dest, host: pinned } }
      : { allowed: true };
  }
}
