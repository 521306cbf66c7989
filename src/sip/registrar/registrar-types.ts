import type { DigestHa1 } from '../auth/index.ts';
import type { SipResponse } from '../message/index.ts';
import type { MessageSource, TransportProtocol } from '../transport/index.ts';

/** One contact binding of an extension (RFC 3261 §10.3 step 8). */
export interface Binding {
  extensionId: string;
  customerId: string;
  /** The Contact URI as the phone sent it (without header parameters such as `expires`). */
  contact: string;
  /** Transport the REGISTER arrived on. */
  transport: TransportProtocol;
  /** Where the REGISTER came from, `udp:203.0.113.7:5060`, to reach the phone behind NAT. */
  source: string;
  callId: string;
  cseq: number;
  userAgent: string;
  expiresAtMs: number;
  /**
   * The Path header values of the REGISTER (RFC 3327 §5.3), in order, when it said `Supported: path`:
   * the proxies a request to this contact must pass, used as its pre-loaded route set. Empty otherwise.
   */
  path: string[];
}

/** An extension that may register, as the backend finds it by digest username. */
export interface RegistrarAccount {
  extensionId: string;
  customerId: string;
  /** The platform-unique digest username. */
  username: string;
  /** The extension name (`1001`), accepted as the To user in the account's own domain. */
  extension: string;
  /** HA1 of the username looked up in `realm` (RFC 7616 §3.4.2); the password itself is never stored. */
  ha1: DigestHa1;
  /** The realm the HA1 was computed with (the one {@link RegistrarBackend.realmFor} gave). */
  realm: string;
}

/** Storage and account lookup the registrar needs; implemented outside the SIP stack. */
export interface RegistrarBackend {
  /** The digest realm to challenge a REGISTER addressed to `domain` (the To host) with. */
  realmFor(domain: string): string;
  /**
   * The account whose digest username is `username` (or, in a tenant domain, whose extension name
   * is) and that may register in `domain`; undefined otherwise.
   */
  findAccount(query: { username: string; domain: string }): Promise<RegistrarAccount | undefined>;
  /** Insert or refresh the binding of (extensionId, contact). */
  saveBinding(binding: Binding): Promise<void>;
  /** Remove one binding. */
  removeBinding(extensionId: string, contact: string): Promise<void>;
  /** Remove every binding of an extension. */
  removeAll(extensionId: string): Promise<void>;
  /** Bindings of an extension (expired ones may be included; the registrar filters them). */
  listBindings(extensionId: string): Promise<Binding[]>;
}

/** The part of a server transaction the registrar uses. */
export interface RegisterTransaction {
  readonly source: MessageSource;
  respond(res: SipResponse): void;
}

/** How a REGISTER ended, for metrics. */
export type RegisterResult =
  | 'ok'
  | 'unauthorized'
  | 'forbidden'
  | 'interval_too_brief'
  | 'bad_request'
  | 'out_of_order'
  | 'error';
