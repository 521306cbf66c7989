import { InvalidStateError, SerialQueue } from '../../shared/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { IncomingRequest } from './incoming-request.ts';
import type { Responder } from './incoming-request.ts';

/** Sends one NOTIFY of the refer subscription; `terminated` ends the implicit subscription. */
export type ReferNotifier = (sipfrag: string, terminated: boolean) => Promise<SipResponse>;

/** The status code of a message/sipfrag status line (`SIP/2.0 200 OK` → 200). */
function sipfragStatus(sipfrag: string): number | undefined {
  const m = /^SIP\/2\.0\s+(\d{3})/i.exec(sipfrag.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * An incoming REFER (RFC 3515): accept() answers 202 and sends the initial `100 Trying`
 * NOTIFY (§2.4.5); notify() then reports the referenced request's progress, ending the
 * implicit subscription with the first final status.
 */
export class IncomingRefer extends IncomingRequest {
  /** The Refer-To URI (name-addr as written). */
  readonly referTo: string;
  readonly #notifier: ReferNotifier;
  readonly #queue = new SerialQueue();
  #accepted = false;
  #ended = false;

  constructor(request: SipRequest, respond: Responder, notifier: ReferNotifier) {
    super(request, respond);
    this.referTo = request.headers.get('refer-to') ?? '';
    this.#notifier = notifier;
  }

  /** RFC 3515 §2.4.2: accept with 202 Accepted and send the initial NOTIFY. */
  override accept(): void {
    this.answer(202, undefined, {});
    this.#accepted = true;
    // The initial NOTIFY's outcome only matters to later notify() calls, which queue behind it.
    this.notify('SIP/2.0 100 Trying').catch(() => {});
  }

  /** Send a NOTIFY with `sipfrag` (`SIP/2.0 200 OK`); a final status ends the subscription. */
  notify(sipfrag: string): Promise<SipResponse> {
    if (!this.#accepted) return Promise.reject(new InvalidStateError('REFER not accepted', 'REFER_NOT_ACCEPTED'));
    if (this.#ended)
      return Promise.reject(new InvalidStateError('refer subscription already terminated', 'SUBSCRIPTION_TERMINATED'));
    const status = sipfragStatus(sipfrag);
    const terminated = status !== undefined && status >= 200;
    if (terminated) this.#ended = true;
    // NOTIFYs go one at a time so their CSeq order is their arrival order (RFC 3261 §12.2.2).
    return this.#queue.run(() => this.#notifier(sipfrag, terminated));
  }
}
