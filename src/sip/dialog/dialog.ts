import { InvalidStateError, SipResponseError, TransactionTimeoutError } from '../../shared/index.ts';
import { getCSeq } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import { Retransmitter2xx } from '../transaction/index.ts';
import type { SendDestination } from '../transport/index.ts';
import { DialogCore } from './dialog-core.ts';
import { DialogServer } from './dialog-server.ts';
import type { DialogSnapshot } from './dialog-snapshot.ts';
import { DIALOG_TRANSITIONS } from './dialog-types.ts';
import type { DialogEvents, DialogHost, DialogInit, DialogRole, DialogState, TerminationInfo } from './dialog-types.ts';
import { waitGlareRetry } from './glare.ts';
import { ListenedEmitter } from './listened-emitter.ts';
import type { MessageContent } from './message-content.ts';

// RFC 3261 §12.2 / RFC 3311 / RFC 3515: requests that refresh the remote target carry our Contact.
const CARRIES_CONTACT: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'REFER', 'NOTIFY', 'SUBSCRIBE']);

/**
 * A SIP dialog (RFC 3261 §12) and the session requests within it: BYE (§15), re-INVITE
 * (§14) with 491 on glare, UPDATE (RFC 3311), INFO (RFC 6086), REFER and its NOTIFYs
 * (RFC 3515), OPTIONS. Incoming requests are answered by {@link DialogServer}.
 */
export class Dialog extends ListenedEmitter<DialogEvents> {
  /** The §12 state: identifiers, CSeq numbers, remote target, route set. */
  readonly core: DialogCore;
  /** What the dialog needs from its user agent. */
  readonly host: DialogHost;
  #state: DialogState;
  #stateSinceMs: number;
  #termination: TerminationInfo | undefined;
  #offerOut: 'INVITE' | 'UPDATE' | undefined;
  readonly #retransmitters = new Map<number, Retransmitter2xx>();
  #lastAck: { seq: number; ack: SipRequest; dest: SendDestination } | undefined;
  readonly #server: DialogServer;

  constructor(init: DialogInit, host: DialogHost) {
    super();
    this.core = new DialogCore(init);
    this.host = host;
    this.#state = init.state;
    this.#stateSinceMs = host.clock.now();
    this.#server = new DialogServer(this);
    this.core.onChange = () => {
      if (this.#state !== 'terminated') this.emit('changed');
    };
  }

  /** The dialog id: Call-ID, local tag and remote tag. */
  get id(): string {
    return this.core.key;
  }

  /** `early`, `confirmed` or `terminated`. */
  get state(): DialogState {
    return this.#state;
  }

  /** Clock time of the last state change. */
  get stateSinceMs(): number {
    return this.#stateSinceMs;
  }

  /** `uac` when we sent the dialog-creating INVITE. */
  get role(): DialogRole {
    return this.core.role;
  }

  /** The Call-ID. */
  get callId(): string {
    return this.core.callId;
  }

  /** Who ended the dialog and why, once terminated. */
  get termination(): TerminationInfo | undefined {
    return this.#termination;
  }

  /** The type of offer we have outstanding (a re-INVITE or UPDATE awaiting its answer). */
  get pendingOffer(): 'INVITE' | 'UPDATE' | undefined {
    return this.#offerOut;
  }

  /** The §12 state as plain data, enough to BYE this dialog without this object (see `changed`). */
  snapshot(): DialogSnapshot {
    return this.core.snapshot();
  }

  /** Build an in-dialog request (RFC 3261 §12.2.1.1); it is not sent. */
  createRequest(method: string, content: MessageContent = {}): SipRequest {
    const transport = this.core.destination().transport;
    const contact = CARRIES_CONTACT.has(method) ? this.host.contact(transport) : undefined;
    return this.core.createRequest(method, this.host.via(transport), content, contact);
  }

  /**
   * Send `method` in this dialog and resolve with its final response, whatever the status.
   * RFC 3261 §12.2.1.2: a 481 or 408 (or no answer) ends the dialog.
   */
  async request(method: string, content: MessageContent = {}): Promise<SipResponse> {
    this.#assertOpen(method);
    const req = this.createRequest(method, content);
    let res: SipResponse;
    try {
      res = await this.host.request(req, this.core.destination());
    } catch (err) {
      if (err instanceof TransactionTimeoutError)
        this.#endAfterFailure(method, { by: 'local', cause: 'request-timeout' });
      throw err;
    }
    if (res.status === 481) this.terminate({ by: 'remote', cause: 'dialog-gone' });
    if (res.status === 408) this.#endAfterFailure(method, { by: 'remote', cause: 'request-timeout' });
    return res;
  }

  /** A request timed out or got 408: the dialog ends; after a re-INVITE a BYE tells the far end (RFC 3261 §14.1, §15). */
  #endAfterFailure(method: string, info: TerminationInfo): void {
    if (method !== 'INVITE' || this.#state !== 'confirmed') {
      this.terminate(info);
      return;
    }
    const req = this.createRequest('BYE');
    const dest = this.core.destination();
    this.terminate(info);
    this.host
      .request(req, dest)
      .catch((err: unknown) =>
        this.host.logger.debug({ err, dialog: this.id }, 'BYE after a failed re-INVITE got no answer'),
      );
  }

  /**
   * RFC 3261 §15.1.1: end the session. The dialog is terminated at once; resolves with the
   * BYE's response, or undefined when none came. Idempotent on a terminated dialog.
   */
  async bye(cause: TerminationInfo['cause'] = 'bye'): Promise<SipResponse | undefined> {
    if (this.#state === 'terminated') return undefined;
    if (this.#state === 'early')
      throw new InvalidStateError(
        `dialog ${this.id}: BYE on an early dialog (CANCEL or reject the INVITE)`,
        'DIALOG_EARLY',
      );
    // Terminated first: the BYE's CSeq is no change anyone needs to keep.
    this.terminate({ by: 'local', cause });
    const req = this.createRequest('BYE');
    const dest = this.core.destination();
    try {
      return await this.host.request(req, dest);
    } catch (err) {
      // The dialog is gone on our side whatever happens to the BYE (RFC 3261 §15.1.1).
      this.host.logger.debug({ err, dialog: this.id }, 'BYE got no answer');
      return undefined;
    }
  }

  /**
   * RFC 3261 §14.1: send a re-INVITE; on 2xx the remote target is refreshed and the ACK sent.
   * Rejects with SipResponseError (491 on glare: retry after {@link waitGlareRetry}).
   */
  async reinvite(content: MessageContent = {}): Promise<SipResponse> {
    if (this.#state !== 'confirmed')
      throw new InvalidStateError(`dialog ${this.id} is ${this.#state}: cannot re-INVITE`);
    if (this.#offerOut)
      throw new InvalidStateError(`dialog ${this.id}: an ${this.#offerOut} is pending`, 'OFFER_PENDING');
    this.#offerOut = 'INVITE';
    try {
      const res = await this.request('INVITE', content);
      if (res.status >= 300) throw new SipResponseError(res.status, res.reason);
      this.core.refreshTarget(res);
      await this.ack(getCSeq(res).seq);
      return res;
    } finally {
      this.#offerOut = undefined;
    }
  }

  /** RFC 3311: send an UPDATE (an offer when it has a body); rejects with SipResponseError. */
  async update(content: MessageContent = {}): Promise<SipResponse> {
    if (this.#offerOut)
      throw new InvalidStateError(`dialog ${this.id}: an ${this.#offerOut} is pending`, 'OFFER_PENDING');
    this.#offerOut = 'UPDATE';
    try {
      const res = await this.#expectSuccess('UPDATE', content);
      this.core.refreshTarget(res);
      return res;
    } finally {
      this.#offerOut = undefined;
    }
  }

  /** RFC 6086: send an INFO (e.g. `application/dtmf-relay`); rejects with SipResponseError. */
  info(content: MessageContent): Promise<SipResponse> {
    return this.#expectSuccess('INFO', content);
  }

  /** RFC 3515: send a REFER to `target` (a URI or name-addr); its NOTIFYs arrive as `notify` events. */
  refer(target: string, content: MessageContent = {}): Promise<SipResponse> {
    const referTo = target.includes('<') ? target : `<${target}>`;
    return this.#expectSuccess('REFER', { ...content, headers: [['Refer-To', referTo], ...(content.headers ?? [])] });
  }

  /** Send an OPTIONS in the dialog; resolves with any final response. */
  options(): Promise<SipResponse> {
    return this.request('OPTIONS', { headers: [['Accept', 'application/sdp']] });
  }

  /** Wait the RFC 3261 §14.1 delay before retrying a re-INVITE answered 491. */
  waitGlareRetry(signal?: AbortSignal): Promise<void> {
    return waitGlareRetry(this.host.clock, this.role === 'uac', signal);
  }

  /** RFC 3261 §13.2.2.4: send (and remember, for 2xx retransmissions) the ACK for CSeq `seq`. */
  async ack(seq: number, content: MessageContent = {}): Promise<void> {
    const dest = this.core.destination();
    const ack = this.core.createAck(seq, this.host.via(dest.transport), content);
    this.#lastAck = { seq, ack, dest };
    await this.host.sendAck(ack, dest);
  }

  /** Answer a request that matched this dialog (RFC 3261 §12.2.2). */
  receiveRequest(req: SipRequest, tx: ServerTransaction): void {
    this.#server.receive(req, tx);
  }

  /** A 2xx to INVITE arrived again (our ACK was lost): resend the same ACK. */
  receiveStray2xx(res: SipResponse): void {
    const last = this.#lastAck;
    if (!last || last.seq !== getCSeq(res).seq) return;
    this.host
      .sendAck(last.ack, last.dest)
      .catch((err: unknown) => this.host.logger.debug({ err }, 'ACK retransmission failed'));
  }

  /**
   * RFC 3261 §13.3.1.4: retransmit our 2xx to the INVITE with CSeq `seq` until its ACK; with
   * no ACK after 64*T1 the session ends with a BYE.
   */
  retransmitUntilAck(seq: number, resend: () => void): void {
    this.#retransmitters.get(seq)?.stop();
    const retransmitter = new Retransmitter2xx({
      clock: this.host.clock,
      t1Ms: this.host.t1Ms,
      t2Ms: this.host.t2Ms,
      retransmit: resend,
      onTimeout: () => {
        this.#retransmitters.delete(seq);
        void this.bye('ack-timeout');
      },
    });
    this.#retransmitters.set(seq, retransmitter);
  }

  /** An ACK for one of our 2xx responses arrived. */
  receiveAck(req: SipRequest): void {
    const seq = getCSeq(req).seq;
    const retransmitter = this.#retransmitters.get(seq);
    if (!retransmitter) return;
    retransmitter.ack();
    this.#retransmitters.delete(seq);
    this.emit('ack', req);
  }

  /** True while a 2xx we sent is still waiting for its ACK. */
  get awaitingAck(): boolean {
    return this.#retransmitters.size > 0;
  }

  /** The UAC's early dialog got its 2xx (RFC 3261 §13.2.2.4): adopt its target and route set. */
  confirmFromResponse(res: SipResponse): void {
    this.core.refreshTarget(res);
    this.core.setRouteSetFromResponse(res.headers.getAll('record-route'));
    this.confirm();
  }

  /** Move from early to confirmed. */
  confirm(): void {
    if (this.#state === 'confirmed') return;
    if (this.#transition('confirmed')) this.emit('confirmed');
  }

  /** End the dialog without sending anything (the caller already did or cannot). Idempotent. */
  terminate(info: TerminationInfo): void {
    if (this.#state === 'terminated') return;
    this.#termination = info;
    for (const r of this.#retransmitters.values()) r.stop();
    this.#retransmitters.clear();
    this.#server.abortPending();
    if (this.#transition('terminated')) this.emit('terminated', info);
  }

  async #expectSuccess(method: string, content: MessageContent): Promise<SipResponse> {
    const res = await this.request(method, content);
    if (res.status >= 300) throw new SipResponseError(res.status, res.reason);
    return res;
  }

  #assertOpen(method: string): void {
    if (this.#state === 'terminated')
      throw new InvalidStateError(`dialog ${this.id} is terminated: cannot send ${method}`, 'DIALOG_TERMINATED');
  }

  #transition(to: DialogState): boolean {
    const from = this.#state;
    if (!(DIALOG_TRANSITIONS[from] as readonly DialogState[]).includes(to)) {
      this.host.logger.warn({ dialog: this.id, from, to }, `dialog ${this.id}: ${from} -> ${to} refused`);
      return false;
    }
    this.#state = to;
    this.#stateSinceMs = this.host.clock.now();
    this.host.logger.debug({ dialog: this.id, from, to }, `dialog ${this.id}: ${from} -> ${to}`);
    return true;
  }
}
