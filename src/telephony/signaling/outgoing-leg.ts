import type { AttemptFailure, LegEvents, OutgoingAttempt } from '../../calls/index.ts';
import { InvalidStateError, SipResponseError, TransactionTimeoutError, lazyChild, newId } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { IncomingRefer, InviteAnswer, OutgoingInvite, SendDestination, UserAgent } from '../../sip/index.ts';
import type { SipResponse } from '../../sip/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import type { DialogJournal } from './dialog-journal.ts';
import { LegDialog } from './leg-dialog.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';
import type { MediaEndpointOptions } from '../../endpoint/index.ts';
import type { ReferSink } from './refer-transfer.ts';

/** One INVITE of an attempt: a provider trunk, a SIP URI, or one registered contact of an extension. */
export interface InviteTarget {
  to: string;
  requestUri: string;
  headers?: [string, string][];
  /** Answer a 401/407 challenge with these credentials. */
  auth?: { username: string; password: string };
  /** Where to send the INVITE when not to the Request-URI's host (the address a guard checked). */
  destination?: SendDestination;
  /** A pre-loaded route set (RFC 3261 §8.1.2): the Path of a registered contact (RFC 3327 §5.3). */
  routes?: readonly string[];
  /** A browser (a contact registered over WS/WSS): it gets a WebRTC offer (docs/webrtc.md "Calls to a browser"). */
  webrtc?: boolean;
}

/** Everything an {@link OutgoingLeg} needs. */
export interface OutgoingLegOptions {
  ua: UserAgent;
  media: CallMedia;
  endpointOptions: MediaEndpointOptions;
  events: LegEvents;
  callId: string;
  from: string;
  /** Headers every INVITE of the attempt carries (Privacy, …). */
  headers: [string, string][];
  /**
   * One target, or several to fork to in parallel (the first 2xx wins, the rest are CANCELled);
   * a promise when they need a lookup first (a registered contact's route set).
   */
  targets: readonly InviteTarget[] | Promise<readonly InviteTarget[]>;
  logger: Logger;
  /** Takes REFERs the far end sends on the established dialog (phones transferring their call). */
  refers?: ReferSink | undefined;
  /** Keeps the confirmed dialog's state for a restart after a crash. */
  journal?: DialogJournal | undefined;
}

const SDP = 'application/sdp';
/** RFC 3261 §9.1: what a CANCELled INVITE ends with. */
const REQUEST_TERMINATED = 487;

/** An outgoing INVITE's failure as the calls domain reads it. */
export function attemptFailureOf(err: unknown): AttemptFailure {
  if (err instanceof SipResponseError) return { kind: 'status', sip_status: err.status };
  if (err instanceof TransactionTimeoutError) return { kind: 'timeout' };
  return { kind: 'transport' };
}

/**
 * RFC 3261 §16.7 step 6, simplified for forks: a 6xx wins, then the lowest final status; with no
 * status at all, a timeout before a transport error.
 */
export function bestFailure(failures: readonly AttemptFailure[]): AttemptFailure {
  const statuses = failures.flatMap((f) => (f.kind === 'status' ? [f.sip_status] : []));
  const global = statuses.find((s) => s >= 600);
  if (global !== undefined) return { kind: 'status', sip_status: global };
  if (statuses.length > 0) return { kind: 'status', sip_status: Math.min(...statuses) };
  return failures.some((f) => f.kind === 'timeout') ? { kind: 'timeout' } : { kind: 'transport' };
}

/**
 * One outgoing attempt of a call: its media endpoint (offer), one INVITE per target sent in
 * parallel, ringing/answer/failure reported to the domain, and after the 2xx the established leg
 * (BYE, hold, unhold). The media leg is registered under `leg_id` and released when the attempt
 * fails or its dialog ends.
 */
export class OutgoingLeg implements OutgoingAttempt {
  readonly leg_id = newId();
  readonly #o: OutgoingLegOptions;
  readonly #invites: OutgoingInvite[] = [];
  readonly #failures: AttemptFailure[] = [];
  #endpoint: MediaEndpoint | undefined;
  #endpointKind = false;
  /** The offers made, by kind (true: WebRTC), until one kind's endpoint becomes the leg's. */
  readonly #offers = new Map<boolean, { endpoint: MediaEndpoint; offerSdp: string }>();
  #dialog: LegDialog | undefined;
  #won = false;
  #failed = false;
  #cancelled = false;
  #answerApplied = false;

  constructor(options: OutgoingLegOptions) {
    this.#o = options;
    // Awaited in #start after the media offer; a failed lookup fails the attempt there.
    if (options.targets instanceof Promise) options.targets.catch(() => {});
    this.#start().catch((err: unknown) => {
      options.logger.warn({ err }, 'outgoing attempt could not be sent');
      this.#fail(attemptFailureOf(err));
    });
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    for (const invite of this.#invites) invite.cancel();
  }

  async bye(): Promise<void> {
    if (this.#dialog) return this.#dialog.bye();
    await this.cancel();
  }

  // Signalling only: what the leg hears while held is CallMedia.setHold, set by the calls domain first.
  async hold(): Promise<void> {
    await this.#requireDialog('hold').setHold(true);
  }

  async unhold(): Promise<void> {
    await this.#requireDialog('unhold').setHold(false);
  }

  async #start(): Promise<void> {
    const targets = await this.#o.targets;
    if (this.#cancelled) return this.#fail({ kind: 'status', sip_status: REQUEST_TERMINATED });
    // One offer per kind of target: RTP/AVP for phones and trunks, WebRTC for browsers; a fork to both
    // keeps the endpoint of whichever answers (docs/webrtc.md "Calls to a browser").
    const kinds = [...new Set(targets.map((t) => t.webrtc === true))];
    for (const webrtc of kinds.length > 0 ? kinds : [false]) {
      if (this.#cancelled) break;
      const offered = await MediaEndpoint.offer({ ...this.#o.endpointOptions, ...(webrtc ? { webrtc } : {}) });
      this.#offers.set(webrtc, offered);
    }
    if (this.#cancelled) {
      this.#closeOffers(undefined);
      return this.#fail({ kind: 'status', sip_status: REQUEST_TERMINATED });
    }
    const offers = new Map(this.#offers);
    if (offers.size === 1) this.#useEndpoint(kinds[0] ?? false);
    for (const target of targets) {
      const kind = target.webrtc === true;
      const offer = offers.get(kind);
      if (!offer) continue;
      let invite: OutgoingInvite;
      try {
        invite = this.#o.ua.invite({
          to: target.to,
          from: this.#o.from,
          requestUri: target.requestUri,
          body: offer.offerSdp,
          contentType: SDP,
          headers: [...this.#o.headers, ...(target.headers ?? [])],
          ...(target.auth ? { auth: target.auth } : {}),
          ...(target.routes ? { routes: target.routes } : {}),
          ...(target.destination ? { destination: target.destination } : {}),
        });
      } catch (err) {
        this.#o.logger.warn({ err, uri: target.requestUri }, 'INVITE not sent');
        this.#failures.push(attemptFailureOf(err));
        continue;
      }
      this.#invites.push(invite);
      this.#o.media.timeline?.dialogs?.track(invite.callId, this.leg_id, this.#o.callId);
      invite.on('provisional', (res) => this.#onProvisional(res, kind));
      invite.then(
        (answer) => this.#onAnswer(invite, answer, kind),
        (err: unknown) => this.#onFailure(err),
      );
    }
    if (this.#invites.length === 0) this.#fail(bestFailure(this.#failures));
  }

  /** Keeps the endpoint of `kind` as the leg's media and closes the other offer's, if any. */
  #useEndpoint(kind: boolean): MediaEndpoint | undefined {
    if (this.#endpoint) return this.#endpointKind === kind ? this.#endpoint : undefined;
    const offer = this.#offers.get(kind);
    if (!offer) return undefined;
    this.#endpoint = offer.endpoint;
    this.#endpointKind = kind;
    this.#o.media.register(this.leg_id, offer.endpoint, this.#o.callId);
    this.#closeOffers(offer.endpoint);
    return offer.endpoint;
  }

  /** Closes the offered endpoints other than `kept` (all when undefined): nobody will answer them. */
  #closeOffers(kept: MediaEndpoint | undefined): void {
    for (const { endpoint } of this.#offers.values())
      if (endpoint !== kept)
        endpoint.close().catch((err: unknown) => this.#o.logger.warn({ err }, 'unused offer endpoint close failed'));
    this.#offers.clear();
  }

  #onProvisional(res: SipResponse, kind: boolean): void {
    if (res.status <= 100 || this.#won || this.#failed) return;
    const earlyMedia = res.status === 183 && res.body.length > 0;
    if (earlyMedia && !this.#answerApplied && this.#useEndpoint(kind)) this.#applyAnswer(res);
    // RFC 3960 §3: the callee's audio flows once its 183's SDP is applied (docs/media.md "Early media").
    if (earlyMedia && this.#answerApplied && this.#endpointKind === kind)
      this.#o.media.earlyMedia.started(this.#o.callId, this.leg_id);
    this.#o.events.ringing({ sip_status: res.status, early_media: earlyMedia });
  }

  #onAnswer(winner: OutgoingInvite, { dialog, response }: InviteAnswer, kind: boolean): void {
    const endpoint = this.#won || this.#failed ? undefined : this.#useEndpoint(kind);
    if (!endpoint) {
      // Another fork answered first (or the attempt is over): this dialog is not wanted (RFC 3261 §13.2.2.4).
      void dialog.bye();
      // A fork of the other kind answered after early media chose the leg's endpoint: it counts as failed.
      if (!this.#won && !this.#failed) this.#onFailure(undefined);
      return;
    }
    this.#won = true;
    for (const invite of this.#invites) if (invite !== winner) invite.cancel();
    if (!this.#answerApplied) this.#applyAnswer(response);
    this.#o.media.earlyMedia.ended(this.#o.callId, this.leg_id);
    this.#dialog = new LegDialog(
      dialog,
      endpoint,
      {
        remoteEnded: (failed) => this.#o.events.remoteBye(failed ? { failed } : undefined),
        ended: () => this.#release(),
        journal: this.#o.journal?.forLeg(this.leg_id, () => this.#o.callId),
        ...(this.#o.refers ? { refer: (refer: IncomingRefer) => this.#o.refers?.referred(this.leg_id, refer) } : {}),
      },
      lazyChild(this.#o.logger, { leg_id: this.leg_id }),
    );
    this.#o.events.answered();
  }

  #onFailure(err: unknown): void {
    this.#failures.push(attemptFailureOf(err));
    if (this.#won || this.#failures.length < this.#invites.length) return;
    this.#fail(bestFailure(this.#failures));
  }

  #applyAnswer(res: SipResponse): void {
    try {
      this.#endpoint?.applyAnswer(res.body.toString('utf8'));
      this.#answerApplied = true;
    } catch (err) {
      this.#o.logger.warn({ err, status: res.status }, 'SDP answer not usable');
    }
  }

  #fail(failure: AttemptFailure): void {
    if (this.#failed || this.#won) return;
    this.#failed = true;
    this.#o.events.failed(failure);
    this.#release();
  }

  #release(): void {
    this.#o.media.earlyMedia.ended(this.#o.callId, this.leg_id);
    this.#closeOffers(undefined);
    this.#o.media
      .release(this.leg_id)
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'media leg release failed'));
  }

  #requireDialog(what: string): LegDialog {
    if (!this.#dialog || this.#dialog.terminated)
      throw new InvalidStateError(`${what}: leg ${this.leg_id} has no established dialog`, 'LEG_NOT_ESTABLISHED');
    return this.#dialog;
  }
}
