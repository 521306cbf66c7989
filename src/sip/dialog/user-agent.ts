import { InvalidStateError, silentLogger, systemClock } from '../../shared/index.ts';
import type { Clock, Logger, TimerHandle } from '../../shared/index.ts';
import { createResponse, formatHostPort, getCallId, getTag, newBranch, newCallId, newTag } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction, TransactionLayer } from '../transaction/index.ts';
import type { SendDestination, TransportProtocol } from '../transport/index.ts';
import { DIALOG_ONLY_METHODS, KNOWN_METHODS, capabilityHeaders, preflight } from './capabilities.ts';
import { Dialog } from './dialog.ts';
import { DialogCore, dialogKey } from './dialog-core.ts';
import { initFromSnapshot } from './dialog-snapshot.ts';
import type { DialogSnapshot } from './dialog-snapshot.ts';
import { destinationForUri, formatContact, toNameAddr } from './destination.ts';
import type { LocalContact } from './destination.ts';
import type { DialogHost, DialogInit } from './dialog-types.ts';
import type { MessageContent } from './message-content.ts';
import { IncomingInvite } from './incoming-invite.ts';
import { ListenedEmitter } from './listened-emitter.ts';
import { buildOutOfDialogRequest } from './out-of-dialog-request.ts';
import { OutgoingInvite } from './outgoing-invite.ts';
import type { InviteOptions } from './outgoing-invite.ts';
import type { UaContext } from './ua-context.ts';

/** Takes a request the UA core does not handle itself (REGISTER for the registrar). */
export type RequestHandler = (req: SipRequest, tx: ServerTransaction) => void;

/** Options of a {@link UserAgent}. */
export interface UserAgentOptions {
  layer: TransactionLayer;
  /** Where we listen, one entry per transport; Via and Contact use the one matching the transport. */
  contacts: readonly LocalContact[];
  clock?: Clock;
  logger?: Logger;
  /** User part of our Contact (default `callbin`). */
  user?: string;
  /** Option tags we support (Supported; anything else in Require is 420). */
  supported?: readonly string[];
  /** INFO body types we take (undefined: all); others get 415 (RFC 6086 §4.2.2). */
  infoContentTypes?: readonly string[];
  /** How long close() waits for BYE answers (default 2 s). */
  closeTimeoutMs?: number;
}

/** Options of {@link UserAgent.options}. */
export interface OptionsRequestOptions extends MessageContent {
  to?: string;
  from?: string;
  destination?: SendDestination;
}

/** Events of a {@link UserAgent}. */
export type UserAgentEvents = {
  /** A new INVITE (no To tag); answer it with progress/accept/reject. Without listeners it gets 480. */
  invite: [incoming: IncomingInvite];
};

/**
 * The user agent core (RFC 3261 §8, §12–§15) over a transaction layer: places and answers
 * calls, owns their dialogs, routes in-dialog requests, ACKs and stray 2xx responses, and
 * answers what no one else takes (OPTIONS 200, 481, 405, 501, 400, 420).
 */
export class UserAgent extends ListenedEmitter<UserAgentEvents> {
  readonly #layer: TransactionLayer;
  readonly #contacts: readonly LocalContact[];
  readonly #user: string;
  readonly #supported: readonly string[];
  readonly #closeTimeoutMs: number;
  readonly #host: DialogHost;
  readonly #ctx: UaContext;
  readonly #dialogs = new Map<string, Dialog>();
  readonly #outgoing = new Map<string, OutgoingInvite>();
  readonly #incoming = new Set<IncomingInvite>();
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #unsubscribe: (() => void)[];
  #closed = false;

  constructor(options: UserAgentOptions) {
    super();
    if (options.contacts.length === 0)
      throw new InvalidStateError('a user agent needs at least one local contact', 'NO_CONTACT');
    this.#layer = options.layer;
    this.#contacts = options.contacts;
    this.#user = options.user ?? 'callbin';
    this.#supported = (options.supported ?? []).map((t) => t.toLowerCase());
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.#host = this.#makeHost(options.clock ?? systemClock, options.logger ?? silentLogger, options.infoContentTypes);
    this.#ctx = {
      host: this.#host,
      layer: this.#layer,
      addDialog: (init) => this.#addDialog(init),
      findDialog: (callId, localTag, remoteTag) => this.#dialogs.get(dialogKey(callId, localTag, remoteTag)),
    };
    this.#unsubscribe = [
      this.#layer.on('request', (req, tx) => this.#onRequest(req, tx)),
      this.#layer.on('ack', (req) => this.#onAck(req)),
      this.#layer.on('strayResponse', (res) => this.#onStray2xx(res)),
    ];
  }

  /** Live dialogs (early and confirmed). */
  get dialogs(): readonly Dialog[] {
    return [...this.#dialogs.values()];
  }

  /** What in-dialog requests and the INVITE objects use from this UA. */
  get host(): DialogHost {
    return this.#host;
  }

  /** Place a call (RFC 3261 §13.2); await the result for the confirmed dialog. */
  invite(options: InviteOptions): OutgoingInvite {
    this.#assertOpen();
    const outgoing = new OutgoingInvite(options, this.#ctx, {
      done: (o) => this.#outgoing.delete(`${o.callId}\n${o.localTag}`),
    });
    this.#outgoing.set(`${outgoing.callId}\n${outgoing.localTag}`, outgoing);
    return outgoing;
  }

  /** Send an OPTIONS outside any dialog (a health check, RFC 3261 §11); resolves with any final response. */
  options(requestUri: string, options: OptionsRequestOptions = {}): Promise<SipResponse> {
    this.#assertOpen();
    const dest = options.destination ?? destinationForUri(requestUri);
    const local = this.#contactFor(dest.transport);
    const req = buildOutOfDialogRequest({
      method: 'OPTIONS',
      requestUri,
      from: toNameAddr(options.from ?? `sip:${this.#user}@${formatHostPort(local.host, local.port)}`),
      fromTag: newTag(),
      to: toNameAddr(options.to ?? requestUri),
      callId: newCallId(),
      seq: 1,
      via: this.#host.via(dest.transport),
      contact: this.#host.contact(dest.transport),
      content: options,
      extraHeaders: [['Accept', 'application/sdp']],
    });
    return this.#layer.request(req, dest);
  }

  /**
   * RFC 3261 §15.1.1 for a dialog this user agent does not hold: the BYE is built from a stored
   * {@link DialogSnapshot} (§12.2.1.1: Request-URI, Route, tags, Call-ID, the next local CSeq) and
   * sent where the dialog's requests went. Resolves with the final response, or undefined when none
   * came (a timeout or a transport error); never rejects for those.
   */
  async sendByeFromState(state: DialogSnapshot): Promise<SipResponse | undefined> {
    this.#assertOpen();
    const core = new DialogCore(initFromSnapshot(state));
    const req = core.createRequest('BYE', this.#host.via(state.destination.transport));
    try {
      return await this.#host.request(req, { ...state.destination });
    } catch (err) {
      this.#host.logger.debug({ err, call_id: state.callId }, 'BYE from stored dialog state got no answer');
      return undefined;
    }
  }

  /** Let `handler` take every request of `method` (e.g. REGISTER); returns a function that removes it. */
  handle(method: string, handler: RequestHandler): () => void {
    const key = method.toUpperCase();
    this.#handlers.set(key, handler);
    return () => {
      if (this.#handlers.get(key) === handler) this.#handlers.delete(key);
    };
  }

  /** Alias of {@link handle}. */
  onRequest(method: string, handler: RequestHandler): () => void {
    return this.handle(method, handler);
  }

  /** BYE every confirmed dialog (waiting at most closeTimeoutMs), drop the rest, stop every timer. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    for (const incoming of this.#incoming) if (incoming.finalStatus === undefined) safely(() => incoming.reject(503));
    this.#incoming.clear();
    for (const outgoing of this.#outgoing.values()) outgoing.dispose();
    this.#outgoing.clear();
    const byes: Promise<unknown>[] = [];
    for (const dialog of this.#dialogs.values()) {
      if (dialog.state === 'confirmed') byes.push(dialog.bye('closed'));
      else dialog.terminate({ by: 'local', cause: 'closed' });
    }
    this.#dialogs.clear();
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>(
      (resolve) => (timer = this.#host.clock.setTimeout(resolve, this.#closeTimeoutMs)),
    );
    await Promise.race([Promise.all(byes), timeout]);
    this.#host.clock.clearTimeout(timer);
  }

  #makeHost(clock: Clock, logger: Logger, infoContentTypes: readonly string[] | undefined): DialogHost {
    const layer = this.#layer;
    return {
      clock,
      logger,
      t1Ms: layer.timers.t1Ms,
      t2Ms: layer.timers.t2Ms,
      infoContentTypes: infoContentTypes?.map((t) => t.toLowerCase()),
      via: (transport) => {
        const local = this.#contactFor(transport);
        return `SIP/2.0/${transport} ${formatHostPort(local.host, local.port)};rport;branch=${newBranch()}`;
      },
      contact: (transport) => formatContact(this.#user, this.#contactFor(transport)),
      request: (req, dest, onProvisional) => layer.request(req, dest, onProvisional ? { onProvisional } : {}),
      sendAck: (ack, dest) => layer.sendAck(ack, dest),
      capabilityHeaders: () => capabilityHeaders(this.#supported),
    };
  }

  #contactFor(transport: TransportProtocol): LocalContact {
    return this.#contacts.find((c) => c.transport === transport) ?? this.#contacts[0]!;
  }

  #addDialog(init: DialogInit): Dialog {
    const dialog = new Dialog(init, this.#host);
    const key = dialog.id;
    this.#dialogs.set(key, dialog);
    dialog.on('terminated', () => {
      if (this.#dialogs.get(key) === dialog) this.#dialogs.delete(key);
    });
    return dialog;
  }

  #onRequest(req: SipRequest, tx: ServerTransaction): void {
    if (this.#closed) return;
    const refused = preflight(req, this.#supported);
    if (refused) return respond(tx, refused);
    const handler = this.#handlers.get(req.method);
    if (handler) return this.#runHandler(handler, req, tx);
    const toTag = getTag(req.headers, 'to');
    if (toTag !== undefined) return this.#inDialog(req, tx, toTag);
    if (req.method === 'INVITE' && tx.kind === 'invite-server') return this.#onInvite(req, tx);
    if (req.method === 'OPTIONS')
      return respond(tx, createResponse(req, 200, undefined, { headers: this.#host.capabilityHeaders() }));
    // RFC 3261 §12.2.2 / §15.1.2: these need a dialog; 405 and 501 per §8.2.1.
    if (DIALOG_ONLY_METHODS.has(req.method)) return respond(tx, createResponse(req, 481));
    const status = KNOWN_METHODS.has(req.method) ? 405 : 501;
    respond(tx, createResponse(req, status, undefined, { headers: this.#host.capabilityHeaders().slice(0, 1) }));
  }

  #runHandler(handler: RequestHandler, req: SipRequest, tx: ServerTransaction): void {
    try {
      handler(req, tx);
    } catch (err) {
      this.#host.logger.warn({ err, method: req.method }, 'request handler failed');
      respond(tx, createResponse(req, 500));
    }
  }

  #inDialog(req: SipRequest, tx: ServerTransaction, toTag: string): void {
    const dialog = this.#dialogs.get(dialogKey(getCallId(req), toTag, getTag(req.headers, 'from') ?? ''));
    // RFC 3261 §12.2.2: a request with a To tag matching no dialog is 481.
    if (!dialog) return respond(tx, createResponse(req, 481));
    dialog.receiveRequest(req, tx);
  }

  #onInvite(req: SipRequest, tx: ServerTransaction & { kind: 'invite-server' }): void {
    const incoming = new IncomingInvite(req, tx, this.#ctx);
    if (!this.hasListeners('invite')) return incoming.reject(480);
    // RFC 3891 §3: this UA does not let a new INVITE replace one of its dialogs (attended transfer
    // ends with a REFER carrying Replaces instead); a clear refusal rather than a new call.
    if (req.headers.get('replaces') !== undefined) return incoming.reject(501, 'Replaces Not Implemented');
    this.#incoming.add(incoming);
    tx.on('terminated', () => this.#incoming.delete(incoming));
    this.emit('invite', incoming);
  }

  #onAck(req: SipRequest): void {
    try {
      const toTag = getTag(req.headers, 'to') ?? '';
      this.#dialogs.get(dialogKey(getCallId(req), toTag, getTag(req.headers, 'from') ?? ''))?.receiveAck(req);
    } catch (err) {
      // RFC 3261 §17.2.1: nothing answers an ACK, so a broken one is only logged.
      this.#host.logger.debug({ err }, 'unusable ACK dropped');
    }
  }

  #onStray2xx(res: SipResponse): void {
    try {
      const callId = getCallId(res);
      const fromTag = getTag(res.headers, 'from') ?? '';
      const dialog = this.#dialogs.get(dialogKey(callId, fromTag, getTag(res.headers, 'to') ?? ''));
      if (dialog) return dialog.receiveStray2xx(res);
      this.#outgoing.get(`${callId}\n${fromTag}`)?.receiveStray2xx(res);
    } catch (err) {
      this.#host.logger.debug({ err }, 'unusable 2xx dropped');
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('user agent is closed', 'UA_CLOSED');
  }
}

function respond(tx: ServerTransaction, res: SipResponse): void {
  safely(() => tx.respond(res));
}

/** Run `fn`, ignoring InvalidStateError: the transaction it answers has already ended. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InvalidStateError)) throw err;
  }
}
