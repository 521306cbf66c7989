import { createResponse, getCSeq } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import { ACCEPTED_TYPES, KNOWN_METHODS, mediaType, toBody } from './capabilities.ts';
import type { DialogCore } from './dialog-core.ts';
import type { DialogEvents, DialogHost, DialogState, TerminationInfo } from './dialog-types.ts';
import { IncomingRefer } from './incoming-refer.ts';
import { IncomingRequest } from './incoming-request.ts';
import type { Responder } from './incoming-request.ts';
import type { ListenedEmitter } from './listened-emitter.ts';
import type { MessageContent } from './message-content.ts';

/** What the server side reads and drives of the `Dialog` that owns it. */
export interface ServedDialog extends Pick<ListenedEmitter<DialogEvents>, 'emit' | 'hasListeners'> {
  readonly state: DialogState;
  readonly core: DialogCore;
  readonly host: DialogHost;
  readonly pendingOffer: 'INVITE' | 'UPDATE' | undefined;
  request(method: string, content?: MessageContent): Promise<SipResponse>;
  retransmitUntilAck(seq: number, resend: () => void): void;
  terminate(info: TerminationInfo): void;
}

/**
 * The UAS side of a dialog (RFC 3261 §12.2.2): checks the CSeq order, then answers BYE,
 * re-INVITE (491 on glare, §14.2), UPDATE, INFO, REFER, NOTIFY and OPTIONS, handing the
 * requests that need a decision to the dialog's listeners.
 */
export class DialogServer {
  readonly #dialog: ServedDialog;
  readonly #pending = new Set<IncomingRequest>();
  #reinviteIn: IncomingRequest | undefined;

  constructor(dialog: ServedDialog) {
    this.#dialog = dialog;
  }

  /** Answer one in-dialog request. */
  receive(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.#dialog;
    if (dialog.state === 'terminated') return void this.#reply(tx, 481);
    if (!dialog.core.acceptRemoteSeq(req)) return void this.#reply(tx, 500, 'CSeq Out of Order');
    switch (req.method) {
      case 'BYE':
        return this.#onBye(tx);
      case 'INVITE':
        return this.#onReinvite(req, tx);
      case 'UPDATE':
        return this.#onUpdate(req, tx);
      case 'INFO':
        return this.#onInfo(req, tx);
      case 'REFER':
        return this.#onRefer(req, tx);
      case 'NOTIFY':
        return this.#onNotify(req, tx);
      case 'OPTIONS':
        this.#reply(tx, 200, undefined, { headers: dialog.host.capabilityHeaders() });
        return dialog.emit('request', req, tx);
      default:
        // RFC 3261 §8.2.1: 405 for a method we know but do not take here, 501 for one we do not know.
        return void this.#reply(tx, KNOWN_METHODS.has(req.method) ? 405 : 501, undefined, {
          headers: dialog.host.capabilityHeaders(),
        });
    }
  }

  /** RFC 3261 §15.1.2: requests still unanswered when the dialog ends get 487. */
  abortPending(): void {
    for (const incoming of [...this.#pending]) if (!incoming.answered) incoming.reject(487);
    this.#pending.clear();
  }

  #onBye(tx: ServerTransaction): void {
    this.#reply(tx, 200);
    this.#dialog.terminate({ by: 'remote', cause: 'bye' });
  }

  #onReinvite(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.#dialog;
    // RFC 3261 §14.2: our own re-INVITE is pending (glare) → 491; theirs still unanswered → 500.
    if (dialog.pendingOffer !== undefined) return void this.#reply(tx, 491);
    if (this.#reinviteIn)
      return void this.#reply(tx, 500, undefined, {
        headers: [['Retry-After', String(Math.floor(Math.random() * 11))]],
      });
    const seq = getCSeq(req).seq;
    const incoming = this.#track(req, (status, reason, content) => {
      this.#reinviteIn = undefined;
      const res = this.#reply(tx, status, reason, content, status < 300);
      if (res && status >= 200 && status < 300) {
        dialog.core.refreshTarget(req);
        dialog.retransmitUntilAck(seq, () => this.#resend(tx, res));
      }
    });
    this.#reinviteIn = incoming;
    tx.on('cancelled', () => {
      if (!incoming.answered) incoming.reject(487);
    });
    if (dialog.hasListeners('reinvite')) dialog.emit('reinvite', incoming);
    else incoming.reject(488);
  }

  #onUpdate(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.#dialog;
    // RFC 3311 §5.2: an offer crossing our own pending offer is refused with 491.
    if (dialog.pendingOffer !== undefined && req.body.length > 0) return void this.#reply(tx, 491);
    const incoming = this.#track(req, (status, reason, content) => {
      if (status >= 200 && status < 300) dialog.core.refreshTarget(req);
      this.#reply(tx, status, reason, content, status < 300);
    });
    if (dialog.hasListeners('update')) dialog.emit('update', incoming);
    else if (req.body.length === 0) incoming.accept();
    else incoming.reject(488);
  }

  #onInfo(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.#dialog;
    const accepted = dialog.host.infoContentTypes;
    const type = mediaType(req.headers.get('content-type'));
    // RFC 6086 §4.2.2: a body type the TU does not take is 415 with the types it does.
    if (accepted !== undefined && req.body.length > 0 && (type === undefined || !accepted.includes(type))) {
      return void this.#reply(tx, 415, undefined, { headers: [['Accept', accepted.join(', ')]] });
    }
    this.#reply(tx, 200);
    dialog.emit('info', req);
  }

  #onRefer(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.#dialog;
    // RFC 3515 §2.4.1: exactly one Refer-To.
    if (req.headers.getAll('refer-to').length !== 1) return void this.#reply(tx, 400, 'Missing or Multiple Refer-To');
    const respond: Responder = (status, reason, content) => this.#reply(tx, status, reason, content, status < 300);
    const incoming = new IncomingRefer(req, respond, (sipfrag, terminated) => this.#notify(sipfrag, terminated));
    if (dialog.hasListeners('refer')) dialog.emit('refer', incoming);
    else incoming.reject(603);
  }

  #onNotify(req: SipRequest, tx: ServerTransaction): void {
    const event = req.headers.get('event')?.split(';')[0]?.trim().toLowerCase();
    // RFC 6665 §4.1.3: a NOTIFY for an event package we never subscribed to is 489.
    if (event !== 'refer') return void this.#reply(tx, 489, undefined, { headers: [['Allow-Events', 'refer']] });
    this.#reply(tx, 200);
    this.#dialog.emit('notify', req, req.body.toString('utf8'));
  }

  #notify(sipfrag: string, terminated: boolean): Promise<SipResponse> {
    return this.#dialog.request('NOTIFY', {
      body: sipfrag.endsWith('\r\n') ? sipfrag : `${sipfrag}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', terminated ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
    });
  }

  #track(req: SipRequest, respond: Responder): IncomingRequest {
    const incoming = new IncomingRequest(req, (status, reason, content) => {
      this.#pending.delete(incoming);
      respond(status, reason, content);
    });
    this.#pending.add(incoming);
    return incoming;
  }

  /** Send a final answer to `tx`; a 2xx to a target refresh carries our Contact. Undefined when it could not be sent. */
  #reply(
    tx: ServerTransaction,
    status: number,
    reason?: string,
    content: MessageContent = {},
    withContact = false,
  ): SipResponse | undefined {
    const headers: [string, string][] = [...(content.headers ?? [])];
    if (withContact) headers.unshift(['Contact', this.#dialog.host.contact(tx.source.transport)]);
    if (status === 415 && !headers.some(([n]) => n.toLowerCase() === 'accept'))
      headers.push(['Accept', ACCEPTED_TYPES.join(', ')]);
    const body = toBody(content.body);
    const res = createResponse(tx.request, status, reason, {
      headers,
      body,
      ...(content.contentType !== undefined && body.length > 0 ? { contentType: content.contentType } : {}),
    });
    try {
      tx.respond(res);
      return res;
    } catch (err) {
      // The transaction already ended (timed out or cancelled): nothing left to answer.
      this.#dialog.host.logger.debug({ err, status }, 'in-dialog response not sent');
      return undefined;
    }
  }

  #resend(tx: ServerTransaction, res: SipResponse): void {
    try {
      tx.respond(res);
    } catch {
      // Timer L ended the transaction; the retransmitter's own 64*T1 limit ends the retries too.
    }
  }
}
