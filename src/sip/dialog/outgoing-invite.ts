import { AppError, SipResponseError, TypedEmitter } from '../../shared/index.ts';
import type { TimerHandle } from '../../shared/index.ts';
import { digestAuthorization } from '../auth/index.ts';
import { getCSeq, getTag, newCallId, newTag, parseNameAddr, formatUri } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { SendDestination } from '../transport/index.ts';
import { Dialog } from './dialog.ts';
import { uacDialogInit } from './dialog-init.ts';
import type { MessageContent } from './message-content.ts';
import { preloadedRoute, toNameAddr } from './destination.ts';
import { buildOutOfDialogRequest, nextAttempt } from './out-of-dialog-request.ts';
import type { UaContext } from './ua-context.ts';

/** Options of {@link UserAgent.invite}. */
export interface InviteOptions extends MessageContent {
  /** Callee as a URI or name-addr. */
  to: string;
  /** Caller as a URI or name-addr (our tag is added). */
  from: string;
  /** Defaults to the URI of `to`. */
  requestUri?: string;
  /** Answer one 401/407 with digest credentials. */
  auth?: { username: string; password: string };
  /**
   * A pre-loaded route set (RFC 3261 §8.1.2), such as the Path of the callee's registration (RFC
   * 3327 §5.3): Route values in order; the INVITE goes to the first one.
   */
  routes?: readonly string[];
  /** Where to send the INVITE; defaults to the first route's or the Request-URI's host, port and transport. */
  destination?: SendDestination;
  /** Aborting cancels the INVITE (CANCEL after the first provisional response). */
  signal?: AbortSignal;
}

/** A successful INVITE: the confirmed dialog and the 2xx that confirmed it. */
export interface InviteAnswer {
  dialog: Dialog;
  response: SipResponse;
}

/** Events of an {@link OutgoingInvite}. */
export type OutgoingInviteEvents = {
  /** A 1xx; `earlyDialog` when it carried a To tag (RFC 3261 §12.1.2). */
  provisional: [res: SipResponse, earlyDialog: Dialog | undefined];
};

/** What an OutgoingInvite needs besides the UA context: a hook to leave the UA's table. */
export interface OutgoingInviteHooks {
  /** Called when no more forked 2xx responses can be expected. */
  done(invite: OutgoingInvite): void;
}

/**
 * An INVITE we sent (RFC 3261 §13.2): awaitable for the confirmed dialog, emitting
 * provisional responses with their early dialogs; retries once with digest credentials;
 * forked 2xx responses after the first are ACKed and BYEd (§13.2.2.4).
 */
export class OutgoingInvite extends TypedEmitter<OutgoingInviteEvents> implements PromiseLike<InviteAnswer> {
  /** The Call-ID of the dialog being set up. */
  readonly callId: string;
  /** Our From tag. */
  readonly localTag = newTag();
  readonly #ctx: UaContext;
  readonly #hooks: OutgoingInviteHooks;
  readonly #dest: SendDestination;
  readonly #auth: InviteOptions['auth'];
  readonly #early = new Map<string, Dialog>();
  readonly #forks = new Map<string, Dialog>();
  readonly #strays: SipResponse[] = [];
  readonly #answer: Promise<InviteAnswer>;
  #request: SipRequest;
  #abort = new AbortController();
  #cancelled = false;
  #winner: Dialog | undefined;
  #windowTimer: TimerHandle | undefined;

  constructor(options: InviteOptions, ctx: UaContext, hooks: OutgoingInviteHooks) {
    super();
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#auth = options.auth;
    this.callId = newCallId();
    const routed = preloadedRoute(options.requestUri ?? formatUri(parseNameAddr(options.to).uri), options.routes ?? []);
    this.#dest = options.destination ?? routed.destination;
    this.#request = buildOutOfDialogRequest({
      method: 'INVITE',
      requestUri: routed.requestUri,
      from: toNameAddr(options.from),
      fromTag: this.localTag,
      to: toNameAddr(options.to),
      callId: this.callId,
      seq: 1,
      via: ctx.host.via(this.#dest.transport),
      contact: ctx.host.contact(this.#dest.transport),
      content: options,
      extraHeaders: [
        ...routed.routes.map((route): [string, string] => ['Route', route]),
        ...ctx.host.capabilityHeaders().filter(([name]) => name !== 'Accept'),
      ],
    });
    if (options.signal?.aborted) this.cancel();
    else options.signal?.addEventListener('abort', () => this.cancel(), { once: true });
    this.#answer = this.#run();
    // Callers await the invite (then); this only keeps an unobserved failure from being unhandled.
    this.#answer.catch(() => {});
  }

  /** The INVITE as last sent (a retry with credentials replaces it). */
  get request(): SipRequest {
    return this.#request;
  }

  /** The answer as a promise. */
  get answer(): Promise<InviteAnswer> {
    return this.#answer;
  }

  /** Resolve with the confirmed dialog, or reject with SipResponseError / TransactionTimeoutError. */
  // biome-ignore lint/suspicious/noThenProperty: awaiting the invite is its API
  then<A = InviteAnswer, B = never>(
    onFulfilled?: ((v: InviteAnswer) => A | PromiseLike<A>) | null,
    onRejected?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#answer.then(onFulfilled, onRejected);
  }

  /** RFC 3261 §9.1: cancel the INVITE; it then fails with SipResponseError(487). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#abort.abort();
  }

  /** A 2xx that matched no dialog of ours: another fork answered (ACK and BYE it), or a retransmission. */
  receiveStray2xx(res: SipResponse): void {
    const tag = getTag(res.headers, 'to') ?? '';
    const known = tag === this.#winner?.core.remoteTag ? this.#winner : this.#forks.get(tag);
    if (known) return known.receiveStray2xx(res);
    if (getCSeq(res).seq !== getCSeq(this.#request).seq) return;
    // The winning 2xx may still be on its way through the transaction's promise.
    if (!this.#winner) return void this.#strays.push(res);
    const fork = new Dialog(uacDialogInit(this.#request, res, this.#dest, 'confirmed'), this.#ctx.host);
    this.#forks.set(tag, fork);
    void this.#ackAndBye(fork, getCSeq(res).seq);
  }

  /** Stop the fork window timer (the UA is closing). */
  dispose(): void {
    this.#ctx.host.clock.clearTimeout(this.#windowTimer);
    this.#abort.abort();
  }

  async #run(): Promise<InviteAnswer> {
    let authTried = false;
    try {
      for (;;) {
        const res = await this.#ctx.layer.request(this.#request, this.#dest, {
          onProvisional: (r) => this.#onProvisional(r),
          signal: this.#abort.signal,
        });
        if (res.status < 300) return await this.#onSuccess(res);
        this.#endEarly('rejected');
        if ((res.status === 401 || res.status === 407) && this.#auth && !authTried && !this.#cancelled) {
          authTried = true;
          this.#request = this.#withCredentials(res, this.#auth);
          continue;
        }
        throw new SipResponseError(res.status, res.reason);
      }
    } catch (err) {
      this.#endEarly('request-timeout');
      this.#hooks.done(this);
      throw err;
    }
  }

  #onProvisional(res: SipResponse): void {
    const tag = res.status > 100 ? getTag(res.headers, 'to') : undefined;
    let dialog: Dialog | undefined;
    if (tag !== undefined) {
      dialog = this.#early.get(tag);
      if (dialog) dialog.core.refreshTarget(res);
      else {
        dialog = this.#ctx.addDialog(uacDialogInit(this.#request, res, this.#dest, 'early'));
        this.#early.set(tag, dialog);
      }
    }
    this.emit('provisional', res, dialog);
  }

  async #onSuccess(res: SipResponse): Promise<InviteAnswer> {
    const tag = getTag(res.headers, 'to') ?? '';
    const dialog =
      this.#early.get(tag) ?? this.#ctx.addDialog(uacDialogInit(this.#request, res, this.#dest, 'confirmed'));
    this.#early.delete(tag);
    dialog.confirmFromResponse(res);
    this.#winner = dialog;
    this.#endEarly('forked');
    for (const stray of this.#strays.splice(0)) this.receiveStray2xx(stray);
    // RFC 3261 §13.2.2.4: 2xx responses from other forks may arrive for 64*T1.
    this.#windowTimer = this.#ctx.host.clock.setTimeout(() => this.#hooks.done(this), 64 * this.#ctx.host.t1Ms);
    const seq = getCSeq(res).seq;
    if (this.#cancelled) {
      // RFC 3261 §9.1: the 2xx crossed our CANCEL; the call still has to be ended.
      await this.#ackAndBye(dialog, seq);
      throw new SipResponseError(487, 'Request Terminated');
    }
    await dialog.ack(seq).catch((err: unknown) => this.#ctx.host.logger.debug({ err }, 'ACK not sent'));
    return { dialog, response: res };
  }

  async #ackAndBye(dialog: Dialog, seq: number): Promise<void> {
    try {
      await dialog.ack(seq);
    } catch (err) {
      this.#ctx.host.logger.debug({ err }, 'ACK for a forked 2xx not sent');
    }
    await dialog.bye('forked');
  }

  #endEarly(cause: 'rejected' | 'request-timeout' | 'forked'): void {
    for (const dialog of this.#early.values()) dialog.terminate({ by: cause === 'forked' ? 'local' : 'remote', cause });
    this.#early.clear();
  }

  // RFC 3261 §22.2: the same Call-ID and From tag, the next CSeq, credentials for the challenge.
  #withCredentials(res: SipResponse, auth: { username: string; password: string }): SipRequest {
    const proxy = res.status === 407;
    const challenge = res.headers.get(proxy ? 'proxy-authenticate' : 'www-authenticate');
    if (challenge === undefined) throw new SipResponseError(res.status, res.reason);
    let credentials: string;
    try {
      credentials = digestAuthorization({ challenge, method: 'INVITE', uri: this.#request.uri, ...auth });
    } catch (err) {
      throw new AppError('DIGEST_CHALLENGE', `cannot answer the ${res.status} challenge`, { cause: err });
    }
    const seq = getCSeq(this.#request).seq + 1;
    const header = proxy ? 'Proxy-Authorization' : 'Authorization';
    return nextAttempt(this.#request, this.#ctx.host.via(this.#dest.transport), seq, [[header, credentials]]);
  }
}
