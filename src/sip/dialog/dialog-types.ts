import type { Clock, Logger } from '../../shared/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import type { SendDestination, TransportProtocol } from '../transport/index.ts';
import type { IncomingReinvite, IncomingRequest } from './incoming-request.ts';
import type { IncomingRefer } from './incoming-refer.ts';

/** RFC 3261 §12: a dialog is early until a 2xx confirms it, then terminated by BYE or failure. */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** The allowed dialog state transitions. */
export const DIALOG_TRANSITIONS = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
} as const satisfies Record<DialogState, readonly DialogState[]>;

/** Which side of the dialog-creating INVITE we were. */
export type DialogRole = 'uac' | 'uas';

/** Why a dialog ended. */
export type TerminationCause =
  | 'bye'
  | 'ack-timeout'
  | 'request-timeout'
  | 'dialog-gone'
  | 'rejected'
  | 'cancelled'
  | 'forked'
  | 'closed';

/** Who ended a dialog and why. */
export interface TerminationInfo {
  by: 'local' | 'remote';
  cause: TerminationCause;
}

/** The §12 dialog state a Dialog is created with. */
export interface DialogInit {
  role: DialogRole;
  state: 'early' | 'confirmed';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From/To URI as a name-addr without the tag (`<sip:alice@example.com>`). */
  localUri: string;
  remoteUri: string;
  /** CSeq of the last request we sent in this dialog (0: none yet). */
  localSeq: number;
  /** CSeq of the last request received (undefined: none yet). */
  remoteSeq?: number;
  /** Request-URI for in-dialog requests: the peer's Contact URI. */
  remoteTarget: string;
  /** Route values in the order our requests carry them. */
  routeSet: readonly string[];
  secure: boolean;
  /** The connection the dialog was set up on, reused for reliable transports without a route set. */
  flow?: SendDestination;
}

/** What a dialog needs from its user agent: sending, identity and time. */
export interface DialogHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly t1Ms: number;
  readonly t2Ms: number;
  /** Types accepted in INFO (undefined: every type). */
  readonly infoContentTypes: readonly string[] | undefined;
  /** A top Via value with a fresh branch for a request sent over `transport`. */
  via(transport: TransportProtocol): string;
  /** Our Contact header value for `transport`. */
  contact(transport: TransportProtocol): string;
  /** Send a request in a client transaction; resolves with its final response. */
  request(req: SipRequest, dest: SendDestination, onProvisional?: (res: SipResponse) => void): Promise<SipResponse>;
  /** Send an ACK for a 2xx (no transaction). */
  sendAck(ack: SipRequest, dest: SendDestination): Promise<void>;
  /** Capability headers (Allow, Accept, Supported) for answers. */
  capabilityHeaders(): [string, string][];
}

/** Events of a Dialog. */
export type DialogEvents = {
  /** The early dialog was confirmed by a 2xx. */
  confirmed: [];
  /** An ACK for a 2xx we sent arrived (initial INVITE or re-INVITE). */
  ack: [req: SipRequest];
  /** A re-INVITE arrived; answer it with accept() or reject(). */
  reinvite: [incoming: IncomingReinvite];
  /** An UPDATE arrived (RFC 3311); answer it with accept() or reject(). */
  update: [incoming: IncomingRequest];
  /** An INFO arrived (RFC 6086); it was answered 200 already. */
  info: [req: SipRequest];
  /** A REFER arrived (RFC 3515); accept() answers 202 and enables notify(). */
  refer: [incoming: IncomingRefer];
  /** A NOTIFY for our REFER arrived (answered 200); `sipfrag` is its body. */
  notify: [req: SipRequest, sipfrag: string];
  /** Any other in-dialog request the dialog answered itself (OPTIONS). */
  request: [req: SipRequest, tx: ServerTransaction];
  /** The local CSeq, remote target or route set changed: a stored {@link Dialog.snapshot} is out of date. */
  changed: [];
  terminated: [info: TerminationInfo];
};
