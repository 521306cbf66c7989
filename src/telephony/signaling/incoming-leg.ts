import type { IncomingLeg, LegEvents } from '../../calls/index.ts';
import { InvalidStateError, lazyChild, newId } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { IncomingInvite, IncomingRefer } from '../../sip/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import type { LegJournal } from './dialog-journal.ts';
import { LegDialog } from './leg-dialog.ts';
import { incomingLegLogger } from './leg-logger.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';
import type { ReferSink } from './refer-transfer.ts';

const SDP = 'application/sdp';

/**
 * An incoming INVITE accepted by IncomingCalls, as the calls domain drives it: 180, 200 with the SDP
 * answer prepared at arrival, or a final rejection; after the ACK it is the call's established
 * leg. Its media endpoint is registered under `leg_id` and released when the INVITE is rejected or
 * cancelled or the dialog ends.
 */
export class SipIncomingLeg implements IncomingLeg {
  readonly leg_id = newId();
  readonly #invite: IncomingInvite;
  readonly #endpoint: MediaEndpoint;
  readonly #answerSdp: string;
  readonly #media: CallMedia;
  readonly #logger: Logger;
  #events: LegEvents | undefined;
  #cancelledBeforeListen = false;
  #cancelled = false;
  #dialog: LegDialog | undefined;
  readonly #refers: ReferSink | undefined;
  readonly #journal: ((legId: string) => LegJournal) | undefined;

  constructor(options: {
    invite: IncomingInvite;
    endpoint: MediaEndpoint;
    answerSdp: string;
    media: CallMedia;
    logger: Logger;
    /** The id of the leg's call once it exists ('' before), for the leg's log lines. */
    callId?: () => string;
    refers?: ReferSink | undefined;
    /** Keeps the confirmed dialog's state for a restart after a crash. */
    journal?: ((legId: string) => LegJournal) | undefined;
  }) {
    this.#refers = options.refers;
    this.#journal = options.journal;
    this.#invite = options.invite;
    this.#endpoint = options.endpoint;
    this.#answerSdp = options.answerSdp;
    this.#media = options.media;
    this.#logger = options.callId
      ? incomingLegLogger(options.logger, this.leg_id, options.callId)
      : lazyChild(options.logger, { leg_id: this.leg_id });
    options.media.register(this.leg_id, options.endpoint);
    options.media.timeline?.dialogs?.track(options.invite.request.headers.get('call-id') ?? '', this.leg_id);
    options.invite.on('cancelled', () => this.#onCancelled());
  }

  listen(events: LegEvents): void {
    this.#events = events;
    if (this.#cancelledBeforeListen) events.remoteCancel();
  }

  async ring(): Promise<void> {
    if (this.#invite.finalStatus !== undefined) return;
    const early = this.#invite.progress(180);
    // RFC 3261 §15: a BYE on the early dialog ends the INVITE (487) like a CANCEL.
    early.on('terminated', (info) => {
      if (info.by === 'remote' && this.#invite.finalStatus === 487) this.#onCancelled();
    });
  }

  async sessionProgress(): Promise<void> {
    if (this.#invite.finalStatus !== undefined) return;
    // RFC 3264 §2: the same answer goes in the 200 later, so the 183's SDP stays valid after it.
    this.#invite.progress(183, { body: this.#answerSdp, contentType: SDP });
  }

  async answer(): Promise<void> {
    if (this.#dialog) return;
    if (this.#invite.finalStatus !== undefined)
      throw new InvalidStateError(
        `leg ${this.leg_id}: INVITE already answered ${this.#invite.finalStatus}`,
        'LEG_ALREADY_ANSWERED',
      );
    const dialog = this.#invite.accept({ body: this.#answerSdp, contentType: SDP });
    this.#dialog = new LegDialog(
      dialog,
      this.#endpoint,
      {
        remoteEnded: (failed) => this.#events?.remoteBye(failed ? { failed } : undefined),
        ended: () => this.#release(),
        journal: this.#journal?.(this.leg_id),
        ...(this.#refers ? { refer: (refer: IncomingRefer) => this.#refers?.referred(this.leg_id, refer) } : {}),
      },
      this.#logger,
    );
    await this.#invite.waitForAck();
  }

  async reject(sipStatus: number): Promise<void> {
    if (this.#invite.finalStatus === undefined) this.#invite.reject(sipStatus);
    this.#release();
  }

  async bye(): Promise<void> {
    if (this.#dialog) await this.#dialog.bye();
    else await this.reject(480);
  }

  // Signalling only: what the leg hears while held is CallMedia.setHold, set by the calls domain first.
  async hold(): Promise<void> {
    await this.#requireDialog('hold').setHold(true);
  }

  async unhold(): Promise<void> {
    await this.#requireDialog('unhold').setHold(false);
  }

  #onCancelled(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#release();
    if (this.#events) this.#events.remoteCancel();
    else this.#cancelledBeforeListen = true;
  }

  #release(): void {
    this.#media.release(this.leg_id).catch((err: unknown) => this.#logger.warn({ err }, 'media leg release failed'));
  }

  #requireDialog(what: string): LegDialog {
    if (!this.#dialog || this.#dialog.terminated)
      throw new InvalidStateError(`${what}: leg ${this.leg_id} has no established dialog`, 'LEG_NOT_ESTABLISHED');
    return this.#dialog;
  }
}
