import type {
  Address,
  DialRequest,
  DialTarget,
  LegEvents,
  OutgoingAttempt,
  Provider,
  SignalingPort,
} from '../../calls/index.ts';
import { lazyChild, silentLogger } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { SendDestination, UserAgent } from '../../sip/index.ts';
import { formatHostPort, formatUri, parseNameAddr, parseUri, quote } from '../../sip/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import { GuardedAttempt } from './guarded-attempt.ts';
import type { DialogJournal } from './dialog-journal.ts';
import type { MediaEndpointOptions } from '../../endpoint/index.ts';
import { OutgoingLeg } from './outgoing-leg.ts';
import type { ReferSink } from './refer-transfer.ts';
import type { SipTargetGuard } from './sip-target-guard.ts';
import type { InviteTarget } from './outgoing-leg.ts';
import type { ContactConnection, ContactRoutes } from './directory-adapter.ts';
import { sipUri } from './sip-uri.ts';

/** Options of {@link CallSignaling}. */
export interface CallSignalingOptions {
  ua: UserAgent;
  media: CallMedia;
  /** Port allocator, SDP address and media clock of every new leg. */
  endpointOptions: MediaEndpointOptions;
  /** Host of our From URI for tel/extension callers (the advertised SIP host or domain). */
  fromHost: string;
  logger?: Logger;
  /** Takes REFERs the called phones send (transfer); without it they are declined. */
  refers?: ReferSink;
  /** Keeps each confirmed dialog's state for a restart after a crash. */
  journal?: DialogJournal;
  /** Checks customers' SIP addresses at dial time (production mode). */
  sipTargets?: SipTargetGuard;
  /** The Path of registered contacts (RFC 3327 §5.3), sent as each INVITE's pre-loaded route set. */
  contactRoutes?: ContactRoutes;
}

/** The From and extra headers of an INVITE for a caller, optionally hidden. */
export interface CallerIdentity {
  from: string;
  headers: [string, string][];
}

const TRANSPORTS = new Set(['udp', 'tcp', 'tls']);

/**
 * The Request-URI of a call through a provider trunk:
 * `sip:<tech_prefix><number><tech_postfix>@<hostname>:<port>;transport=<udp|tcp|tls>`.
 * The number keeps its `+` when the provider has no tech prefix; a non-empty tech prefix replaces
 * the `+` (prefixes are international dialling codes or trunk selectors like `00`, `011`, `9#`).
 */
export function providerRequestUri(
  provider: Pick<Provider, 'hostname' | 'port' | 'transport' | 'tech_prefix' | 'tech_postfix'>,
  number: string,
): string {
  const digits = provider.tech_prefix === '' ? number : number.replace(/^\+/, '');
  const transport = provider.transport.toLowerCase();
  const param = TRANSPORTS.has(transport) ? transport : 'udp';
  return `sip:${provider.tech_prefix}${digits}${provider.tech_postfix}@${formatHostPort(provider.hostname, provider.port)};transport=${param}`;
}

/** A provider's `tech_headers` as INVITE headers, in their stored order. */
export function providerHeaders(provider: Pick<Provider, 'tech_headers'>): [string, string][] {
  return Object.entries(provider.tech_headers).map(([name, value]) => [name, value]);
}

/**
 * The From of an outgoing INVITE: the source address with its `target_name` as display name, or
 * RFC 3323 anonymity (`"Anonymous" <sip:anonymous@anonymous.invalid>` and `Privacy: id`).
 */
export function callerIdentity(source: Address, anonymous: boolean, fromHost: string): CallerIdentity {
  if (anonymous) return { from: '"Anonymous" <sip:anonymous@anonymous.invalid>', headers: [['Privacy', 'id']] };
  const uri =
    source.type === 'sip'
      ? sipUri(source.target)
      : `sip:${source.target === '' ? 'anonymous' : source.target}@${fromHost}`;
  const display = source.target_name === '' ? '' : `${quote(source.target_name)} `;
  return { from: `${display}<${uri}>`, headers: [] };
}

/** The INVITEs one dial target needs: one per trunk or URI, one per registered contact of an extension. */
export function inviteTargets(target: DialTarget, fromHost: string): InviteTarget[] {
  switch (target.kind) {
    case 'provider': {
      const { provider } = target;
      const requestUri = providerRequestUri(provider, target.number);
      const auth =
        provider.auth_username !== ''
          ? { auth: { username: provider.auth_username, password: provider.auth_password } }
          : {};
      return [
        {
          to: `<sip:${target.number}@${formatHostPort(provider.hostname, provider.port)}>`,
          requestUri,
          headers: providerHeaders(provider),
          ...auth,
        },
      ];
    }
    case 'sip': {
      const uri = sipUri(target.uri);
      return [{ to: `<${uri}>`, requestUri: uri }];
    }
    case 'contacts':
      return target.contacts.map((contact) => {
        const requestUri = contactUri(contact);
        return {
          to: `<sip:${target.extension}@${fromHost}>`,
          requestUri,
          ...(isBrowserContact(requestUri) ? { webrtc: true } : {}),
        };
      });
  }
}

/**
 * The INVITEs to an extension's contacts, each with its registration's Path as pre-loaded route set
 * (RFC 3327 §5.3, RFC 3261 §8.1.2): a phone registered through a proxy (the SIP edge of a cluster,
 * docs/cluster.md) is called through it. `targets` are {@link inviteTargets} of `target`, in order.
 */
export async function withContactRoutes(
  targets: readonly InviteTarget[],
  target: Extract<DialTarget, { kind: 'contacts' }>,
  customerId: string,
  lookup: ContactRoutes,
): Promise<InviteTarget[]> {
  const [routes, connections, name] = await Promise.all([
    lookup.contactRoutes(customerId, target.extension),
    lookup.contactConnections?.(customerId, target.extension) ?? new Map<string, ContactConnection>(),
    lookup.extensionName?.(customerId, target.extension),
  ]);
  // An extension dialled by its id (docs/calls.md "Creating calls") is named by its name in the To header.
  const renamed = name !== undefined && name !== target.extension;
  return targets.map((t0, i) => {
    const t = renamed ? { ...t0, to: t0.to.replace(`<sip:${target.extension}@`, `<sip:${name}@`) } : t0;
    const contact = target.contacts[i] ?? '';
    const path = routes.get(contact);
    if (path) return { ...t, routes: path };
    // A browser is reached back over the WebSocket it registered on (RFC 7118 §5).
    const connection = connections.get(contact);
    return connection ? { ...t, destination: { ...connection } } : t;
  });
}

/**
 * True for a contact registered over SIP over WebSocket (RFC 7118 §5.2: `transport=ws|wss`): a browser,
 * which takes a WebRTC offer (docs/webrtc.md "Calls to a browser").
 */
export function isBrowserContact(requestUri: string): boolean {
  return /;transport=wss?(?=[;>?]|$)/i.test(requestUri);
}

/** A stored Contact value (name-addr or bare URI) as a Request-URI; an unparsable one is used as stored. */
function contactUri(contact: string): string {
  const value = contact.trim();
  try {
    // The registrar stores a bare URI whose `;transport=ws` is a URI parameter (RFC 3261 §19.1.1), which
    // an unbracketed name-addr would take as a header parameter (§20.10) and drop.
    return formatUri(value.includes('<') ? parseNameAddr(value).uri : parseUri(value));
  } catch {
    return contact.trim();
  }
}

/**
 * SignalingPort over the SIP user agent: every dial is a new INVITE dialog of its own (B2BUA), with
 * its own media endpoint registered in CallMedia under a fresh `leg_id`.
 */
export class CallSignaling implements SignalingPort {
  readonly #o: CallSignalingOptions;
  readonly #logger: Logger;

  constructor(options: CallSignalingOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'call-signaling' });
  }

  dial(request: DialRequest, events: LegEvents): OutgoingAttempt {
    const { target } = request;
    const guard = this.#o.sipTargets;
    if (target.kind !== 'sip' || !guard?.enforcing) return this.#start(request, events);
    // A customer's SIP address is checked after DNS and dialled at the address that was checked.
    const start = (destination?: SendDestination): OutgoingAttempt => this.#start(request, events, destination);
    return new GuardedAttempt(
      guard.check(target.uri),
      start,
      events,
      lazyChild(this.#logger, { call_id: request.call_id }),
    );
  }

  #start(request: DialRequest, events: LegEvents, destination?: SendDestination): OutgoingAttempt {
    const caller = callerIdentity(request.source, request.anonymous, this.#o.fromHost);
    const targets = inviteTargets(request.target, this.#o.fromHost);
    const { target } = request;
    const lookup = this.#o.contactRoutes;
    return new OutgoingLeg({
      ua: this.#o.ua,
      media: this.#o.media,
      endpointOptions: this.#o.endpointOptions,
      events,
      callId: request.call_id,
      from: caller.from,
      headers: caller.headers,
      targets: destination
        ? targets.map((t) => ({ ...t, destination }))
        : target.kind === 'contacts' && lookup
          ? withContactRoutes(targets, target, request.customer_id, lookup)
          : targets,
      logger: lazyChild(this.#logger, { call_id: request.call_id }),
      refers: this.#o.refers,
      journal: this.#o.journal,
    });
  }
}
