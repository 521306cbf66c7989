import { InvalidStateError, TransactionTimeoutError, TypedEmitter } from '../../shared/index.ts';
import { createResponse, getCSeq, newTag } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { InviteServerTransaction } from '../transaction/index.ts';
import type { MessageSource } from '../transport/index.ts';
import { toBody } from './capabilities.ts';
import type { Dialog } from './dialog.ts';
import { uasDialogInit } from './dialog-init.ts';
import type { MessageContent } from './message-content.ts';
import type { UaContext } from './ua-context.ts';

/** Events of an {@link IncomingInvite}. */
export type IncomingInviteEvents = {
  /** The caller cancelled before our final answer; the INVITE was answered 487. */
  cancelled: [cancel: SipRequest];
  /** Our final response (2xx, 3xx-6xx, or the 487 of a CANCEL) was sent. */
  final: [status: number];
};

/**
 * A new INVITE for the transaction user (RFC 3261 §13.3): progress() with 180/183 creates the
 * early dialog, accept() confirms it with a 2xx retransmitted until the ACK (§13.3.1.4),
 * reject() or a CANCEL end it.
 */
export class IncomingInvite extends TypedEmitter<IncomingInviteEvents> {
  /** The INVITE as received. */
  readonly request: SipRequest;
  /** Where it came from. */
  readonly source: MessageSource;
  /** Our To tag, the same in every response (RFC 3261 §12.1.1). */
  readonly localTag = newTag();
  readonly #tx: InviteServerTransaction;
  readonly #ctx: UaContext;
  #dialog: Dialog | undefined;
  #final: number | undefined;

  constructor(request: SipRequest, tx: InviteServerTransaction, ctx: UaContext) {
    super();
    this.request = request;
    this.source = tx.source;
    this.#tx = tx;
    this.#ctx = ctx;
    tx.on('cancelled', (cancel) => this.#onCancelled(cancel));
  }

  /** The dialog, once progress() or accept() created it. */
  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  /** The final status sent, if any. */
  get finalStatus(): number | undefined {
    return this.#final;
  }

  /** Send a provisional response (180 Ringing, 183 Session Progress) that creates the early dialog. */
  progress(status = 180, content: MessageContent = {}): Dialog {
    if (status <= 100 || status >= 200)
      throw new InvalidStateError(`progress needs 101-199, got ${status}`, 'INVALID_STATUS');
    this.#assertUnanswered();
    const dialog = this.#ensureDialog('early');
    this.#tx.respond(this.#response(status, undefined, content));
    return dialog;
  }

  /**
   * Answer 200 with our Contact (and an SDP answer): the dialog is confirmed and the 2xx is
   * retransmitted until the ACK; without one after 64*T1 the dialog ends with a BYE.
   */
  accept(content: MessageContent = {}): Dialog {
    this.#assertUnanswered();
    const dialog = this.#ensureDialog('confirmed');
    const ok = this.#response(200, undefined, content);
    this.#final = 200;
    this.#tx.respond(ok);
    dialog.confirm();
    dialog.retransmitUntilAck(getCSeq(this.request).seq, () => this.#resend(ok));
    this.emit('final', 200);
    return dialog;
  }

  /** Answer with a final 3xx-6xx; an early dialog ends. */
  reject(status: number, reason?: string, headers: [string, string][] = []): void {
    if (status < 300 || status > 699)
      throw new InvalidStateError(`reject needs 3xx-6xx, got ${status}`, 'INVALID_STATUS');
    this.#assertUnanswered();
    this.#final = status;
    this.#tx.respond(createResponse(this.request, status, reason, { toTag: this.localTag, headers }));
    this.#dialog?.terminate({ by: 'local', cause: 'rejected' });
    this.emit('final', status);
  }

  /** Resolves with the dialog when the ACK for our 2xx arrives; rejects if it never does. */
  waitForAck(): Promise<Dialog> {
    const dialog = this.#dialog;
    if (!dialog || this.#final !== 200)
      return Promise.reject(new InvalidStateError('INVITE not accepted', 'NOT_ACCEPTED'));
    if (!dialog.awaitingAck) {
      return dialog.state === 'confirmed'
        ? Promise.resolve(dialog)
        : Promise.reject(new InvalidStateError('dialog terminated before its ACK', 'DIALOG_TERMINATED'));
    }
    return new Promise((resolve, reject) => {
      const offAck = dialog.on('ack', () => {
        offAck();
        offEnd();
        resolve(dialog);
      });
      const offEnd = dialog.on('terminated', (info) => {
        offAck();
        offEnd();
        reject(
          info.cause === 'ack-timeout'
            ? new TransactionTimeoutError('no ACK for the 2xx')
            : new InvalidStateError('dialog terminated before its ACK', 'DIALOG_TERMINATED'),
        );
      });
    });
  }

  #ensureDialog(state: 'early' | 'confirmed'): Dialog {
    if (this.#dialog) return this.#dialog;
    const dialog = this.#ctx.addDialog(uasDialogInit(this.request, this.source, this.localTag, state));
    // RFC 3261 §15: the caller may BYE an early dialog; the INVITE then ends with 487.
    dialog.on('terminated', (info) => {
      if (info.by === 'remote' && this.#final === undefined) this.#finish487();
    });
    this.#dialog = dialog;
    return dialog;
  }

  #response(status: number, reason: string | undefined, content: MessageContent): SipResponse {
    const host = this.#ctx.host;
    const headers: [string, string][] = [
      ['Contact', host.contact(this.source.transport)],
      ...host.capabilityHeaders(),
      ...(content.headers ?? []),
    ];
    const body = toBody(content.body);
    const contentType = body.length > 0 ? (content.contentType ?? 'application/sdp') : undefined;
    return createResponse(this.request, status, reason, {
      toTag: this.localTag,
      headers,
      body,
      ...(contentType !== undefined ? { contentType } : {}),
    });
  }

  #resend(ok: SipResponse): void {
    try {
      this.#tx.respond(ok);
    } catch {
      // Timer L ended the transaction; the retransmitter stops at the same 64*T1.
    }
  }

  #onCancelled(cancel: SipRequest): void {
    if (this.#final !== undefined) return;
    this.#finish487();
    this.#dialog?.terminate({ by: 'remote', cause: 'cancelled' });
    this.emit('cancelled', cancel);
  }

  // RFC 3261 §9.2: the cancelled INVITE is answered 487 Request Terminated.
  #finish487(): void {
    this.#final = 487;
    try {
      this.#tx.respond(createResponse(this.request, 487, undefined, { toTag: this.localTag }));
    } catch (err) {
      this.#ctx.host.logger.debug({ err }, '487 not sent');
    }
    this.emit('final', 487);
  }

  #assertUnanswered(): void {
    if (this.#final !== undefined)
      throw new InvalidStateError(`INVITE already answered ${this.#final}`, 'ALREADY_ANSWERED');
  }
}
