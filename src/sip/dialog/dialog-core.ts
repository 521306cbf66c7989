import { SipHeaders, formatUri, getCSeq, parseNameAddr } from '../message/index.ts';
import type { SipMessage, SipRequest } from '../message/index.ts';
import type { SendDestination } from '../transport/index.ts';
import { toBody } from './capabilities.ts';
import { destinationForUri, isLooseRoute } from './destination.ts';
import type { DialogSnapshot } from './dialog-snapshot.ts';
import type { DialogInit, DialogRole } from './dialog-types.ts';
import type { MessageContent } from './message-content.ts';

/** The key of a dialog in a user agent's table (RFC 3261 §12: Call-ID, local tag, remote tag). */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

/** A URI fit for a Request-URI (RFC 3261 §19.1.1): the URI of a Contact/Route value without URI headers. */
function targetUri(nameAddr: string): string {
  const uri = parseNameAddr(nameAddr).uri;
  uri.headers.clear();
  return formatUri(uri);
}

/**
 * The dialog state of RFC 3261 §12 — identifiers, CSeq numbers, remote target, route set —
 * and the construction of requests within the dialog (§12.2.1.1).
 */
export class DialogCore {
  readonly role: DialogRole;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly secure: boolean;
  #localSeq: number;
  #remoteSeq: number | undefined;
  #remoteTarget: string;
  #routeSet: string[];
  #flow: SendDestination | undefined;
  /** Called when the local CSeq, the remote target or the route set changed (see {@link snapshot}). */
  onChange: (() => void) | undefined;

  constructor(init: DialogInit) {
    this.role = init.role;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.secure = init.secure;
    this.#localSeq = init.localSeq;
    this.#remoteSeq = init.remoteSeq;
    this.#remoteTarget = init.remoteTarget;
    this.#routeSet = [...init.routeSet];
    this.#flow = init.flow;
  }

  /** The key of this dialog in the user agent's table. */
  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  /** CSeq of the last request sent. */
  get localSeq(): number {
    return this.#localSeq;
  }

  /** CSeq of the last request received, if any. */
  get remoteSeq(): number | undefined {
    return this.#remoteSeq;
  }

  /** The peer's Contact URI: the Request-URI of our in-dialog requests. */
  get remoteTarget(): string {
    return this.#remoteTarget;
  }

  /** Route values our requests carry, in order. */
  get routeSet(): readonly string[] {
    return this.#routeSet;
  }

  /**
   * Where in-dialog requests go: the first route (loose routing) or the remote target; on a
   * reliable transport without a route set, over the connection the dialog was set up on.
   */
  destination(): SendDestination {
    const first = this.#routeSet[0];
    const dest = destinationForUri(first !== undefined ? targetUri(first) : this.#remoteTarget);
    const flow = this.#flow;
    if (first === undefined && flow !== undefined && flow.transport === dest.transport) {
      if (flow.connectionId !== undefined) return { ...dest, connectionId: flow.connectionId };
      // RFC 7118 §5: a WebSocket client (a browser) takes no connections and its Contact host is a
      // made-up `.invalid` name, so requests in its dialog go back to where the INVITE went.
      if (dest.transport === 'WS' || dest.transport === 'WSS') return { ...flow };
    }
    return dest;
  }

  /**
   * RFC 3261 §12.2.1.1: a request in this dialog — Request-URI and Route from the remote
   * target and route set (strict routers get the §12.2.1.1 rewrite), tags, Call-ID and, except
   * for ACK and CANCEL, the next local CSeq.
   */
  createRequest(method: string, via: string, content: MessageContent = {}, contact?: string): SipRequest {
    const seq = method === 'ACK' || method === 'CANCEL' ? this.#localSeq : ++this.#localSeq;
    const req = this.#build(method, seq, via, content, contact);
    if (seq !== 0 && method !== 'ACK' && method !== 'CANCEL') this.onChange?.();
    return req;
  }

  /** RFC 3261 §13.2.2.4: the ACK for a 2xx to the INVITE sent with CSeq `seq`. */
  createAck(seq: number, via: string, content: MessageContent = {}): SipRequest {
    return this.#build('ACK', seq, via, content);
  }

  /** RFC 3261 §12.2.2: record the CSeq of a request; false when it is out of order (→ 500). */
  acceptRemoteSeq(req: SipRequest): boolean {
    const { seq } = getCSeq(req);
    if (this.#remoteSeq !== undefined && seq < this.#remoteSeq) return false;
    this.#remoteSeq = seq;
    return true;
  }

  /** RFC 3261 §12.2: a target refresh request or its 2xx replaces the remote target with its Contact. */
  refreshTarget(msg: SipMessage): void {
    const contact = msg.headers.get('contact');
    if (contact === undefined) return;
    let target: string;
    try {
      target = targetUri(contact);
    } catch {
      // A malformed Contact in an otherwise valid message leaves the previous target in place.
      return;
    }
    if (target === this.#remoteTarget) return;
    this.#remoteTarget = target;
    this.onChange?.();
  }

  /** RFC 3261 §12.1.2: the UAC's route set is the 2xx's Record-Route in reverse order. */
  setRouteSetFromResponse(routes: readonly string[]): void {
    this.#routeSet = [...routes].reverse();
    this.onChange?.();
  }

  /** The state a BYE needs once this object is gone (RFC 3261 §12.2.1.1), as plain data. */
  snapshot(): DialogSnapshot {
    const { transport, host, port } = this.destination();
    return {
      role: this.role,
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: this.remoteTag,
      localUri: this.localUri,
      remoteUri: this.remoteUri,
      localSeq: this.#localSeq,
      ...(this.#remoteSeq === undefined ? {} : { remoteSeq: this.#remoteSeq }),
      remoteTarget: this.#remoteTarget,
      routeSet: [...this.#routeSet],
      secure: this.secure,
      destination: { transport, host, port },
    };
  }

  #build(method: string, seq: number, via: string, content: MessageContent, contact?: string): SipRequest {
    const { uri, routes } = this.#requestTarget();
    const headers = new SipHeaders();
    headers.append('Via', via);
    headers.append('Max-Forwards', '70');
    headers.append('From', `${this.localUri};tag=${this.localTag}`);
    headers.append('To', this.remoteTag === '' ? this.remoteUri : `${this.remoteUri};tag=${this.remoteTag}`);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${seq} ${method}`);
    for (const route of routes) headers.append('Route', route);
    if (contact !== undefined) headers.append('Contact', contact);
    for (const [name, value] of content.headers ?? []) headers.append(name, value);
    const body = toBody(content.body);
    if (content.contentType !== undefined && body.length > 0) headers.append('Content-Type', content.contentType);
    return { kind: 'request', method, uri, headers, body };
  }

  #requestTarget(): { uri: string; routes: readonly string[] } {
    const first = this.#routeSet[0];
    if (first === undefined || isLooseRoute(first)) return { uri: this.#remoteTarget, routes: this.#routeSet };
    // RFC 3261 §12.2.1.1: a strict router gets the Request-URI; the remote target goes last in Route.
    return { uri: targetUri(first), routes: [...this.#routeSet.slice(1), `<${this.#remoteTarget}>`] };
  }
}
