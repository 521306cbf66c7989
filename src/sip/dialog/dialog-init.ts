import { formatUri, getCSeq, getCallId, getTag, parseNameAddr, parseUri } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource, SendDestination } from '../transport/index.ts';
import { isReliable } from '../transport/index.ts';
import { toNameAddr } from './destination.ts';
import type { DialogInit } from './dialog-types.ts';

function contactTarget(msg: SipRequest | SipResponse, fallback: string): string {
  const contact = msg.headers.get('contact');
  if (contact === undefined) return fallback;
  try {
    const uri = parseNameAddr(contact).uri;
    // RFC 3261 §19.1.1: URI headers are not allowed in a Request-URI.
    uri.headers.clear();
    return formatUri(uri);
  } catch {
    // A malformed Contact leaves the peer reachable where the request said it was.
    return fallback;
  }
}

function isSips(uri: string): boolean {
  try {
    return parseUri(uri).scheme === 'sips';
  } catch {
    return false;
  }
}

// RFC 3261 §12.1.1: a dialog is secure when the request came over TLS with a SIPS Request-URI.
function isSecure(transport: string): boolean {
  return transport === 'TLS' || transport === 'WSS';
}

/**
 * RFC 3261 §12.1.1: the UAS's dialog state from the INVITE it answers — route set from
 * Record-Route in order, remote target from Contact, remote CSeq from the request.
 */
export function uasDialogInit(
  req: SipRequest,
  source: MessageSource,
  localTag: string,
  state: DialogInit['state'],
): DialogInit {
  const init: DialogInit = {
    role: 'uas',
    state,
    callId: getCallId(req),
    localTag,
    remoteTag: getTag(req.headers, 'from') ?? '',
    localUri: toNameAddr(req.headers.get('to') ?? req.uri),
    remoteUri: toNameAddr(req.headers.get('from') ?? ''),
    localSeq: 0,
    remoteSeq: getCSeq(req).seq,
    remoteTarget: contactTarget(req, `sip:${source.address}:${source.port}`),
    routeSet: req.headers.getAll('record-route'),
    secure: isSips(req.uri) && isSecure(source.transport),
  };
  if (isReliable(source.transport) && source.connectionId !== undefined) {
    init.flow = {
      transport: source.transport,
      host: source.address,
      port: source.port,
      connectionId: source.connectionId,
    };
  }
  return init;
}

/**
 * RFC 3261 §12.1.2: the UAC's dialog state from its INVITE and a 1xx/2xx with a To tag —
 * route set from Record-Route reversed, remote target from Contact, local CSeq from the INVITE.
 */
export function uacDialogInit(
  invite: SipRequest,
  res: SipResponse,
  dest: SendDestination,
  state: DialogInit['state'],
): DialogInit {
  return {
    role: 'uac',
    state,
    callId: getCallId(invite),
    localTag: getTag(invite.headers, 'from') ?? '',
    remoteTag: getTag(res.headers, 'to') ?? '',
    localUri: toNameAddr(invite.headers.get('from') ?? ''),
    remoteUri: toNameAddr(invite.headers.get('to') ?? invite.uri),
    localSeq: getCSeq(invite).seq,
    remoteTarget: contactTarget(res, invite.uri),
    routeSet: [...res.headers.getAll('record-route')].reverse(),
    secure: isSips(invite.uri) && isSecure(dest.transport),
    ...(isReliable(dest.transport) ? { flow: dest } : {}),
  };
}
