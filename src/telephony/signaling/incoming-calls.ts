import type { Address, Call, CallType, FlowSource, IncomingCallRequest } from '../../calls/index.ts';
import { E164_RE, EXTENSION_RE } from '../../calls/index.ts';
import { NIL_UUID, hasCode, silentLogger } from '../../shared/index.ts';
import type { Logger, OverloadGuard } from '../../shared/index.ts';
import type {
  DigestAlgorithm,
  DigestGuard,
  DigestHa1,
  IncomingInvite,
  MessageSource,
  SipRequest,
  UserAgent,
} from '../../sip/index.ts';
import { DEFAULT_MD5_ONLY_USER_AGENTS, isScannerUserAgent, parseNameAddr, parseUri } from '../../sip/index.ts';
import type { Store } from '../../store/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import type { DialogJournal } from './dialog-journal.ts';
import { admitInvite } from './invite-admission.ts';
import { SipIncomingLeg } from './incoming-leg.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';
import type { MediaEndpointOptions } from '../../endpoint/index.ts';
import type { ReferSink } from './refer-transfer.ts';
import type { ProviderAddressBook } from './routing-adapter.ts';

/** An extension as digest authentication needs it (StoreRegistrarBackend's accounts fit). */
export interface ExtensionAccount {
  extensionId: string;
  customerId: string;
  username: string;
  extension: string;
  /** HA1 of the username it was found by, in `realm` (RFC 7616 §3.4.2). */
  ha1: DigestHa1;
  realm: string;
}

/** Extension accounts by digest username, or by extension name inside a customer's domain (StoreRegistrarBackend implements it). */
export interface ExtensionAccounts {
  /** The digest realm of a From host: a customer's own domain, else the platform realm. */
  realmFor(domain: string): string;
  findAccount(query: { username: string; domain: string }): Promise<ExtensionAccount | undefined>;
}

/** True when a User-Agent names a known SIP scanner (the registrar's list). */
export const isScanner = isScannerUserAgent;

/**
 * The flow an authenticated extension's call runs for what it dialled (`+E164` or another
 * extension); undefined refuses the call 404. Without a dial plan the call runs one `connect` to
 * the dialled target (the two-call model of docs/calls.md: a second call, chained and bridged).
 */
export interface ExtensionDialPlan {
  flowFor(customerId: string, caller: Address, destination: Address): Promise<FlowSource | undefined>;
}

/** The default dial plan: connect the caller to what it dialled. */
export const connectDialPlan: ExtensionDialPlan = {
  flowFor: async (_customerId, caller, destination) => ({
    actions: [{ type: 'connect', option: { source: caller, destinations: [destination] } }],
  }),
};

/** Options of {@link IncomingCalls}. */
export interface IncomingCallsOptions {
  ua: UserAgent;
  /** With `customers`, a frozen customer's calls are refused 403 (docs/api.md "Freezing a customer"). */
  store: Pick<Store, 'numbers' | 'extensions'> & Partial<Pick<Store, 'customers'>>;
  providers: Pick<ProviderAddressBook, 'isProvider'>;
  accounts: ExtensionAccounts;
  /** Digest authentication of extensions' INVITEs, with the failure limiter shared with REGISTER. */
  digest: DigestGuard;
  calls: { acceptIncoming(request: IncomingCallRequest): Promise<Call> };
  media: CallMedia;
  endpointOptions: MediaEndpointOptions;
  /** What calls dialled from extensions run; default {@link connectDialPlan}. */
  dialPlan?: ExtensionDialPlan;
  /** Takes REFERs phones send on their calls (transfer); without it they are declined. */
  refers?: ReferSink;
  /** Keeps each answered call's dialog state for a restart after a crash. */
  journal?: DialogJournal;
  /** Admission control of new INVITEs (docs/security.md "Overload"); without it every INVITE is taken. */
  admission?: Pick<OverloadGuard, 'admit'>;
  /** Whether a customer's conference can be joined now; without it `conference:<id>` is refused 501. */
  conferences?: { isJoinable(customerId: string, conferenceId: string): Promise<boolean> };
  /**
   * `sip:direct.<hash>@<customer domain>` (docs/calls.md "Direct addresses"): the hash is the
   * caller's credential, so such an INVITE needs no digest; without it the address is not special.
   */
  direct?: {
    isDirect(request: SipRequest): boolean;
    route(request: SipRequest, source: string): Promise<InviteRoute>;
  };
  /**
   * Cluster mode: takes the legs other nodes open into this node's conference rooms (an INVITE with
   * `X-Callbin-Join`, docs/cluster.md "Conferences across nodes") before admission and every other check.
   */
  interNode?: { take(invite: IncomingInvite): boolean };
  logger?: Logger;
}

/** Who sent an INVITE, or how it is turned away. */
export type InviteVerdict =
  | { kind: 'provider' }
  | { kind: 'extension'; account: ExtensionAccount }
  | { kind: 'direct'; source: string }
  | { kind: 'challenge'; realm: string; stale: boolean }
  | { kind: 'refuse'; status: number; reason: string };

/** Where a verified INVITE goes, or the final status that refuses it. */
export type InviteRoute =
  | { kind: 'call'; customerId: string; flow: FlowSource; destination: Address; type?: CallType }
  | { kind: 'refuse'; status: number; reason: string };

const CONFERENCE_PREFIX = 'conference:';
// What an account can be called: an extension name, or a digest username (`<extension>-<id prefix>`).
const ACCOUNT_NAME_RE = /^[A-Za-z0-9]{1,32}(-[A-Za-z0-9]{1,32})?$/;
// RFC 8760 §2.4 order; baresip 1.x gets MD5 alone (the registrar's DEFAULT_MD5_ONLY_USER_AGENTS).
const INVITE_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** The number a Request-URI user names: E.164 with its `+`, or digits without it (the `+` is added). */
export function dialledNumber(user: string): string | undefined {
  if (E164_RE.test(user)) return user;
  return E164_RE.test(`+${user}`) ? `+${user}` : undefined;
}

/** The caller of an INVITE as an API address: `tel` for an E.164-like From user, else `sip` user@host. */
export function callerAddress(request: SipRequest): Address {
  const from = parseNameAddr(request.headers.get('from') ?? '');
  const user = from.uri.user ?? '';
  const number = dialledNumber(user);
  const base = { target_name: from.displayName ?? '', name: '', detail: '' };
  if (number !== undefined) return { ...base, type: 'tel', target: number };
  return { ...base, type: 'sip', target: user === '' ? from.uri.host : `${user}@${from.uri.host}` };
}

/** The user part of the Request-URI, or of the To URI when the Request-URI has none. */
export function calledUser(request: SipRequest): string {
  const uri = parseUri(request.uri);
  // JsSIP sends `conference:<id>` with its colon unescaped, which RFC 3261 §19.1.1 reads as a user
  // and a password: a dialled name carries no password, so the two are the name.
  const user = uri.password !== undefined ? `${uri.user ?? ''}:${uri.password}` : uri.user;
  if (user !== undefined && user !== '') return decodeURIComponent(user);
  return decodeURIComponent(parseNameAddr(request.headers.get('to') ?? '').uri.user ?? '');
}

/**
 * Routes new INVITEs (docs/calls.md "Incoming calls"): verification (a provider's address, or an
 * extension that passes digest auth — a From user shaped like an account is challenged 407 whether
 * it exists or not, behind the DigestGuard shared with REGISTER; scanners and everyone else get
 * 403 and no call object),
 * number lookup (unknown 404, no flow 480), the SDP answer (no common codec 488), then
 * `CallService.acceptIncoming` with a SipIncomingLeg.
 */
export class IncomingCalls {
  readonly #o: IncomingCallsOptions;
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<void>>();
  #off: (() => void) | undefined;

  constructor(options: IncomingCallsOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'incoming-calls' });
  }

  /** Starts taking INVITEs from the user agent. */
  start(): void {
    this.#off ??= this.#o.ua.on('invite', (invite) => {
      if (this.#o.interNode?.take(invite)) return;
      if (!admitInvite(this.#o.admission, invite)) return;
      const work = this.#take(invite).finally(() => this.#pending.delete(work));
      this.#pending.add(work);
    });
  }

  /** Stops taking INVITEs and waits for those being routed. */
  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    await Promise.allSettled([...this.#pending]);
  }

  /** Who sent `request` from `source`, checking digest credentials of extensions. */
  async verify(request: SipRequest, source: Pick<MessageSource, 'address'>): Promise<InviteVerdict> {
    if (isScanner(request.headers.get('user-agent'))) return { kind: 'refuse', status: 403, reason: 'Forbidden' };
    if (this.#o.direct?.isDirect(request)) return { kind: 'direct', source: source.address };
    if (await this.#o.providers.isProvider(source.address)) return { kind: 'provider' };
    const from = parseNameAddr(request.headers.get('from') ?? '').uri;
    const user = from.user ?? '';
    // A name no account can have (a phone number) is refused whatever the store holds: the answer
    // says nothing about which accounts exist. Any other name is challenged alike, known or not.
    if (!ACCOUNT_NAME_RE.test(user)) return { kind: 'refuse', status: 403, reason: 'Forbidden' };
    const realm = this.#o.accounts.realmFor(from.host);
    const outcome = await this.#o.digest.authenticate({
      method: 'INVITE',
      realm,
      source: source.address,
      authorizations: [...request.headers.getAll('proxy-authorization'), ...request.headers.getAll('authorization')],
      lookup: async (username) => {
        const account = await this.#o.accounts.findAccount({ username, domain: from.host });
        return account && account.realm === realm ? { account, key: account.extensionId, ha1: account.ha1 } : undefined;
      },
    });
    if (outcome.kind === 'challenge') return { kind: 'challenge', realm, stale: outcome.stale };
    // The From user must be the authenticated account, as the registrar checks the To user.
    if (outcome.kind === 'refuse' || (user !== outcome.account.username && user !== outcome.account.extension)) {
      return { kind: 'refuse', status: 403, reason: 'Forbidden' };
    }
    return { kind: 'extension', account: outcome.account };
  }

  /** Where a verified INVITE goes. */
  async route(
    request: SipRequest,
    verdict: InviteVerdict & { kind: 'provider' | 'extension' | 'direct' },
  ): Promise<InviteRoute> {
    if (verdict.kind === 'direct')
      return this.#o.direct?.route(request, verdict.source) ?? { kind: 'refuse', status: 404, reason: 'Not Found' };
    const user = calledUser(request);
    if (verdict.kind === 'provider') return this.#routeNumber(user);
    return this.#routeDialled(verdict.account, user);
  }

  async #routeNumber(user: string): Promise<InviteRoute> {
    const number = dialledNumber(user);
    const row = number === undefined ? undefined : await this.#o.store.numbers.findByNumber(number);
    if (!row || number === undefined) return { kind: 'refuse', status: 404, reason: 'Not Found' };
    if (row.call_flow_id === '' || row.call_flow_id === NIL_UUID)
      return { kind: 'refuse', status: 480, reason: 'Temporarily Unavailable' };
    return {
      kind: 'call',
      customerId: row.customer_id,
      flow: { flow_id: row.call_flow_id },
      destination: { type: 'tel', target: number, target_name: row.name, name: '', detail: '' },
    };
  }

  async #routeDialled(account: ExtensionAccount, user: string): Promise<InviteRoute> {
    if (user.toLowerCase().startsWith(CONFERENCE_PREFIX))
      return this.#routeConference(account, user.slice(CONFERENCE_PREFIX.length));
    let destination: Address;
    if (E164_RE.test(user)) {
      // A number of the caller's own customer runs its flow here, as a call from outside would
      // (docs/calls.md "Calls from extensions"); any other number goes through the dial plan.
      const own = await this.#o.store.numbers.findByNumber(user);
      if (own && own.customer_id === account.customerId && own.call_flow_id !== '' && own.call_flow_id !== NIL_UUID)
        return {
          kind: 'call',
          customerId: account.customerId,
          flow: { flow_id: own.call_flow_id },
          destination: { type: 'tel', target: user, target_name: own.name, name: '', detail: '' },
        };
      destination = { type: 'tel', target: user, target_name: '', name: '', detail: '' };
    } else if (EXTENSION_RE.test(user) && (await this.#o.store.extensions.findByExtension(account.customerId, user))) {
      destination = { type: 'extension', target: user, target_name: '', name: '', detail: '' };
    } else return { kind: 'refuse', status: 404, reason: 'Not Found' };
    const flow = await (this.#o.dialPlan ?? connectDialPlan).flowFor(
      account.customerId,
      extensionAddress(account),
      destination,
    );
    if (flow === undefined) return { kind: 'refuse', status: 404, reason: 'Not Found' };
    return { kind: 'call', customerId: account.customerId, flow, destination };
  }

  async #routeConference(account: ExtensionAccount, conferenceId: string): Promise<InviteRoute> {
    const conferences = this.#o.conferences;
    if (!conferences) return { kind: 'refuse', status: 501, reason: 'Conferences Not Implemented' };
    if (!(await conferences.isJoinable(account.customerId, conferenceId)))
      return { kind: 'refuse', status: 404, reason: 'Not Found' };
    const flow: FlowSource = { actions: [{ type: 'conference_join', option: { conference_id: conferenceId } }] };
    const destination: Address = { type: 'conference', target: conferenceId, target_name: '', name: '', detail: '' };
    return { kind: 'call', customerId: account.customerId, flow, destination, type: 'conference' };
  }

  async #take(invite: IncomingInvite): Promise<void> {
    try {
      const verdict = await this.verify(invite.request, invite.source);
      if (verdict.kind === 'challenge') return this.#challenge(invite, verdict, invite.source.address);
      if (verdict.kind === 'refuse') return refuse(invite, verdict.status, verdict.reason);
      const route = await this.route(invite.request, verdict);
      if (route.kind === 'refuse') return refuse(invite, route.status, route.reason);
      // A frozen customer's numbers and extensions take and make no new calls (docs/api.md "Freezing a customer").
      if ((await this.#o.store.customers?.get(route.customerId))?.status === 'frozen')
        return refuse(invite, 403, 'Forbidden');
      const source = verdict.kind === 'extension' ? extensionAddress(verdict.account) : callerAddress(invite.request);
      await this.#accept(invite, route, source);
    } catch (err) {
      this.#logger.error({ err }, 'incoming INVITE could not be routed');
      refuse(invite, 500, 'Server Internal Error');
    }
  }

  #challenge(invite: IncomingInvite, verdict: { realm: string; stale: boolean }, source: string): void {
    // RFC 3261 §22.3: a UA that is not a registrar answers 407 with Proxy-Authenticate (one per algorithm).
    // baresip 1.x gives up on the first challenge whose algorithm it lacks (SHA-256), as the registrar knows.
    const userAgent = invite.request.headers.get('user-agent') ?? '';
    const algorithms = DEFAULT_MD5_ONLY_USER_AGENTS.some((re) => re.test(userAgent))
      ? ['MD5' as const]
      : INVITE_ALGORITHMS;
    const headers = this.#o.digest
      .challenge(verdict.realm, source, { stale: verdict.stale, algorithms })
      .map((v): [string, string] => ['Proxy-Authenticate', v]);
    if (invite.finalStatus === undefined) invite.reject(407, undefined, headers);
  }

  async #accept(invite: IncomingInvite, route: InviteRoute & { kind: 'call' }, source: Address): Promise<void> {
    const offerSdp = invite.request.body.toString('utf8');
    // RFC 3261 §13.2.1 allows an INVITE without an offer; we only answer offers (no late offer).
    if (offerSdp.trim() === '') return refuse(invite, 488, 'Not Acceptable Here');
    let answered: Awaited<ReturnType<typeof MediaEndpoint.answer>>;
    try {
      answered = await MediaEndpoint.answer({ ...this.#o.endpointOptions, offerSdp });
    } catch (err) {
      if (!hasCode(err, 'SDP_NO_COMMON_CODEC')) this.#logger.warn({ err }, 'SDP offer not answerable');
      return refuse(invite, 488, 'Not Acceptable Here');
    }
    let callId = '';
    const journal = this.#o.journal;
    const leg = new SipIncomingLeg({
      invite,
      endpoint: answered.endpoint,
      answerSdp: answered.answerSdp,
      media: this.#o.media,
      logger: this.#logger,
      callId: () => callId,
      refers: this.#o.refers,
      journal: journal ? (legId) => journal.forLeg(legId, () => callId) : undefined,
    });
    if (invite.finalStatus !== undefined) return void (await leg.reject(invite.finalStatus));
    try {
      const call = await this.#o.calls.acceptIncoming({
        customer_id: route.customerId,
        source,
        destination: route.destination,
        flow: route.flow,
        leg,
        ...(route.type ? { type: route.type } : {}),
      });
      callId = call.id;
      this.#o.media.bindCall(leg.leg_id, call.id);
    } catch (err) {
      // acceptIncoming has rejected the INVITE (480/500) already; only the media is left to free.
      this.#logger.warn({ err }, 'incoming call not created');
      await leg.reject(500);
    }
  }
}

function extensionAddress(account: ExtensionAccount): Address {
  return { type: 'extension', target: account.extension, target_name: '', name: '', detail: '' };
}

function refuse(invite: IncomingInvite, status: number, reason: string): void {
  if (invite.finalStatus === undefined) invite.reject(status, reason);
}
