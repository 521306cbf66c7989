import { SipResponseError } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { Dialog, IncomingRefer, TerminationCause } from '../../sip/index.ts';
import type { LegJournal } from './dialog-journal.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';
import { watchWebRtcMedia, type WebRtcMediaFailure } from './webrtc-media-watch.ts';

const SDP = 'application/sdp';
/** RFC 3261 §14.1: 491 Request Pending answers a re-INVITE that crossed ours (glare). */
const REQUEST_PENDING = 491;
/** RFC 3264 §6: an offer we cannot answer is refused 488 Not Acceptable Here. */
const NOT_ACCEPTABLE_HERE = 488;
/** RFC 3261 §12.2.1.2: a request in the dialog got 481 or 408, or no answer at all. */
const FAILED_CAUSES: ReadonlySet<TerminationCause> = new Set(['request-timeout', 'dialog-gone']);

/** What a confirmed dialog tells the leg that owns it. */
export interface LegDialogHooks {
  /**
   * The dialog ended without our BYE (remote BYE, no ACK, UA shutdown); `failed` after a 408/481 or no
   * answer to a request in it, or when a WebRTC leg's media failed or never connected (we sent the BYE).
   */
  remoteEnded(failed: boolean): void;
  /** The dialog ended, whoever ended it. */
  ended(): void;
  /** A REFER arrived (RFC 3515); without this hook it is declined 603. */
  refer?(refer: IncomingRefer): void;
  /** Where the dialog's state is kept while it is confirmed (crash recovery); none without it. */
  journal?: LegJournal | undefined;
}

/**
 * A confirmed dialog of a call leg tied to its media endpoint: incoming re-INVITEs are answered
 * from the endpoint (hold/unhold by the far end), SIP INFO DTMF is fed to it, and hold/unhold/BYE
 * are sent on request. Termination is reported once, split by whether we asked for it. A WebRTC
 * leg whose ICE/DTLS fails or never connects is ended with a BYE and reported as a failed dialog
 * (docs/calls.md "Hangup reasons"), so its call does not stay up in silence.
 */
export class LegDialog {
  readonly #dialog: Dialog;
  readonly #endpoint: MediaEndpoint;
  readonly #logger: Logger;
  #byeSent = false;

  constructor(dialog: Dialog, endpoint: MediaEndpoint, hooks: LegDialogHooks, logger: Logger) {
    this.#dialog = dialog;
    this.#endpoint = endpoint;
    this.#logger = logger;
    dialog.on('reinvite', (incoming) => {
      try {
        incoming.accept({ body: endpoint.answerReoffer(incoming.body), contentType: SDP });
      } catch (err) {
        logger.info({ err }, 're-INVITE offer refused');
        incoming.reject(NOT_ACCEPTABLE_HERE);
      }
    });
    dialog.on('info', (req) => {
      try {
        endpoint.handleInfo(req.body.toString('utf8'), req.headers.get('content-type') ?? '');
      } catch (err) {
        // RFC 6086 §4.2.2: the INFO was answered 200 already; a body that is not DTMF is only logged.
        logger.debug({ err }, 'INFO without DTMF ignored');
      }
    });
    const onRefer = hooks.refer;
    if (onRefer) dialog.on('refer', (refer) => onRefer(refer));
    const journal = hooks.journal;
    if (journal) {
      const save = (): void => {
        if (dialog.state !== 'confirmed') return;
        try {
          journal.save(dialog.snapshot());
        } catch (err) {
          logger.warn({ err }, 'dialog state not kept: its far end is not reachable from a restart');
        }
      };
      save();
      dialog.on('confirmed', save);
      dialog.on('changed', save);
    }
    const stopWatch = watchWebRtcMedia(endpoint, dialog.host.clock, (why) => this.#mediaFailed(why, hooks));
    const onEnd = (): void => {
      stopWatch();
      journal?.remove();
      const cause = dialog.termination?.cause;
      if (!this.#byeSent) hooks.remoteEnded(cause !== undefined && FAILED_CAUSES.has(cause));
      hooks.ended();
    };
    if (dialog.state === 'terminated') onEnd();
    else dialog.on('terminated', onEnd);
  }

  /** True once the dialog ended. */
  get terminated(): boolean {
    return this.#dialog.state === 'terminated';
  }

  /** RFC 3261 §15.1.1: ends the dialog; resolves when the BYE was answered or timed out. */
  async bye(): Promise<void> {
    if (this.#dialog.state !== 'confirmed') return;
    this.#byeSent = true;
    await this.#dialog.bye();
  }

  /** The leg's WebRTC media is gone: BYE the far end and report the dialog failed, unless it is ending already. */
  #mediaFailed(why: WebRtcMediaFailure, hooks: LegDialogHooks): void {
    if (this.#byeSent || this.#dialog.state !== 'confirmed') return;
    this.#logger.warn({ why }, 'WebRTC media failed or never connected: ending the call');
    // Marked as ours so the termination is not reported twice; the BYE goes out in the background.
    this.#byeSent = true;
    this.#dialog.bye().catch((err: unknown) => this.#logger.debug({ err }, 'BYE after a media failure not answered'));
    hooks.remoteEnded(true);
  }

  /** re-INVITE with a `sendonly` offer (hold) or back to `sendrecv`; one retry after a 491 glare. */
  async setHold(hold: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const offer = this.#endpoint.reoffer({ hold });
      try {
        const res = await this.#dialog.reinvite({ body: offer, contentType: SDP });
        this.#endpoint.applyAnswer(res.body.toString('utf8'));
        return;
      } catch (err) {
        this.#endpoint.abandonReoffer();
        if (!(err instanceof SipResponseError && err.status === REQUEST_PENDING) || attempt > 0) throw err;
        this.#logger.debug('re-INVITE glare (491); retrying after the RFC 3261 §14.1 delay');
        await this.#dialog.waitGlareRetry();
      }
    }
  }
}
