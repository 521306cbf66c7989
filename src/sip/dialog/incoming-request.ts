import { InvalidStateError } from '../../shared/index.ts';
import type { SipRequest } from '../message/index.ts';
import type { MessageContent } from './message-content.ts';

/** How an incoming request's answer is sent: the dialog builds and sends the response. */
export type Responder = (status: number, reason: string | undefined, content: MessageContent) => void;

/**
 * An in-dialog request that waits for the transaction user's answer (re-INVITE, UPDATE).
 * A 2xx to a re-INVITE is retransmitted by the dialog until the ACK arrives (RFC 3261 §13.3.1.4).
 */
export class IncomingRequest {
  /** The request as received. */
  readonly request: SipRequest;
  readonly #respond: Responder;
  #answered = false;

  constructor(request: SipRequest, respond: Responder) {
    this.request = request;
    this.#respond = respond;
  }

  /** True once accept() or reject() was called. */
  get answered(): boolean {
    return this.#answered;
  }

  /** The request body as text. */
  get body(): string {
    return this.request.body.toString('utf8');
  }

  /** Answer 200 with an optional body (an SDP answer). */
  accept(content: MessageContent = {}): void {
    this.answer(200, undefined, content);
  }

  /** Answer with a final non-2xx status. */
  reject(status: number, reason?: string, headers?: [string, string][]): void {
    if (status < 300 || status > 699)
      throw new InvalidStateError(`reject needs a 3xx-6xx status, got ${status}`, 'INVALID_STATUS');
    this.answer(status, reason, headers === undefined ? {} : { headers });
  }

  /** Send a final answer once; later calls throw InvalidStateError. */
  protected answer(status: number, reason: string | undefined, content: MessageContent): void {
    if (this.#answered) throw new InvalidStateError(`${this.request.method} already answered`, 'ALREADY_ANSWERED');
    this.#answered = true;
    this.#respond(status, reason, content);
  }
}

/** An incoming re-INVITE (RFC 3261 §14.2): accept() with the SDP answer or reject(). */
export type IncomingReinvite = IncomingRequest;
