import { sql } from 'kysely';
import type { Address, CallType, FlowSource } from '../../calls/index.ts';
import { silentLogger } from '../../shared/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import { DEFAULT_DIGEST_LIMITS, FailureBudget, parseUri } from '../../sip/index.ts';
import type { FailureBudgetLimits, SipRequest } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';

/** Where a direct address leads, or the final status that refuses it (IncomingCalls' InviteRoute). */
export type DirectRoute =
  | { kind: 'call'; customerId: string; flow: FlowSource; destination: Address; type?: CallType }
  | { kind: 'refuse'; status: number; reason: string };

/** The live resource a direct hash names. */
export interface DirectTarget {
  kind: 'flow' | 'extension' | 'conference';
  id: string;
  customerId: string;
  /** The flow's name or the extension's name; '' for a conference. */
  label: string;
}

/** Options of {@link DirectAddresses}. */
export interface DirectAddressesOptions {
  store: Pick<Store, 'db'>;
  /** `CALLBIN_SIP_DOMAIN`: a customer's domain is `<customer id>.<sip domain>`. */
  sipDomain: string;
  clock: Clock;
  /** Whether a customer's conference can be joined now; without it a conference's address is refused 404. */
  conferences?: { isJoinable(customerId: string, conferenceId: string): Promise<boolean> } | undefined;
  /** Misses one source may make before its direct INVITEs go unlooked-up; the digest source budget by default. */
  missLimits?: FailureBudgetLimits;
  logger?: Logger;
}

const PREFIX = 'direct.';
// What the API hands out is lowercase hex (docs/api.md "Direct addresses"); anything else is a miss
// found without a lookup. SIP compares URI users case-sensitively (RFC 3261 §19.1.4): so does this.
const HASH_RE = /^[0-9a-f]{16,64}$/;
const NOT_FOUND: DirectRoute = { kind: 'refuse', status: 404, reason: 'Not Found' };

/** The user part of an INVITE's Request-URI and its host, or undefined when it cannot be parsed. */
function requestTarget(request: SipRequest): { user: string; host: string } | undefined {
  try {
    const uri = parseUri(request.uri);
    return { user: uri.user === undefined ? '' : decodeURIComponent(uri.user), host: uri.host.toLowerCase() };
  } catch {
    return undefined;
  }
}

/**
 * `sip:direct.<hash>@<customer id>.<sip domain>` (docs/calls.md "Direct addresses"): the hash is a
 * flow's, an extension's or a conference's `direct_hash`, and the address works only in the domain
 * of the customer that owns it. An unknown hash, a hash in another domain (another customer's, the
 * platform's, an IP address) and a resource that is gone are all the same 404 after the same one
 * index probe. Misses count per source address on a budget like the digest limiter's: a source over
 * it gets that 404 without a lookup until its block ends.
 */
export class DirectAddresses {
  readonly #store: Pick<Store, 'db'>;
  readonly #sipDomain: string;
  readonly #conferences: DirectAddressesOptions['conferences'];
  readonly #misses: FailureBudget;
  readonly #logger: Logger;

  constructor(options: DirectAddressesOptions) {
    this.#store = options.store;
    this.#sipDomain = options.sipDomain.toLowerCase();
    this.#conferences = options.conferences;
    this.#misses = new FailureBudget(options.clock, options.missLimits ?? DEFAULT_DIGEST_LIMITS.source);
    this.#logger = (options.logger ?? silentLogger).child({ module: 'direct-addresses' });
  }

  /** Whether the INVITE's Request-URI user is a direct address (`direct.…`), known or not. */
  isDirect(request: SipRequest): boolean {
    return requestTarget(request)?.user.toLowerCase().startsWith(PREFIX) ?? false;
  }

  /** The live resource of `hash` whose customer's domain is `host`, or undefined. */
  async find(hash: string, host: string): Promise<DirectTarget | undefined> {
    if (!HASH_RE.test(hash)) return undefined;
    // Three tables, one index probe each (their partial unique indexes of live hashes).
    const { rows } = await sql<{ kind: DirectTarget['kind']; id: string; customer_id: string; label: string }>`
      select 'flow' as kind, id, customer_id, name as label from flows
        where direct_hash = ${hash} and tm_delete is null
      union all
      select 'extension' as kind, id, customer_id, extension as label from extensions
        where direct_hash = ${hash} and tm_delete is null
      union all
      select 'conference' as kind, id, customer_id, '' as label from conferences
        where direct_hash = ${hash} and tm_delete is null`.execute(this.#store.db);
    const row = rows.find((r) => `${r.customer_id}.${this.#sipDomain}` === host.toLowerCase());
    return row && { kind: row.kind, id: row.id, customerId: row.customer_id, label: row.label };
  }

  /** Where a direct INVITE from `source` (an address, no port) goes; see the class comment. */
  async route(request: SipRequest, source: string): Promise<DirectRoute> {
    const target = requestTarget(request);
    const hash = target?.user.slice(PREFIX.length) ?? '';
    if (this.#misses.blockedFor(source) > 0) return NOT_FOUND;
    const found = target && (await this.find(hash, target.host));
    const route = found && (await this.#routeTo(found, target));
    if (route) return route;
    if (this.#misses.fail(source)) this.#logger.warn({ source }, 'direct address misses over budget');
    return NOT_FOUND;
  }

  async #routeTo(found: DirectTarget, target: { user: string; host: string }): Promise<DirectRoute | undefined> {
    const base = { target_name: found.label, name: '', detail: '' };
    switch (found.kind) {
      case 'flow':
        return {
          kind: 'call',
          customerId: found.customerId,
          flow: { flow_id: found.id },
          destination: { ...base, type: 'sip', target: `${target.user}@${target.host}` },
        };
      case 'extension': {
        // As a call to the extension from one of its customer's phones: one `connect` (docs/calls.md "Incoming calls").
        const destination: Address = { ...base, type: 'extension', target: found.label, target_name: '' };
        return {
          kind: 'call',
          customerId: found.customerId,
          flow: { actions: [{ type: 'connect', option: { destinations: [destination] } }] },
          destination,
        };
      }
      case 'conference': {
        if (!(await this.#conferences?.isJoinable(found.customerId, found.id))) return undefined;
        return {
          kind: 'call',
          customerId: found.customerId,
          flow: { actions: [{ type: 'conference_join', option: { conference_id: found.id } }] },
          destination: { ...base, type: 'conference', target: found.id },
          type: 'conference',
        };
      }
    }
  }
}
