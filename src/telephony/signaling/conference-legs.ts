/**
 * The legs between nodes that carry a caller into a conference room of another node
 * (docs/cluster.md "Conferences across nodes"). The joining node's {@link InterNodeJoinDialer}
 * offers the caller's codec in an INVITE to the room's node, carrying the admission token in
 * `X-Callbin-Join`, and bridges the caller to that leg until it ends. The room's node's
 * {@link InterNodeJoinAcceptor} takes such INVITEs before any other routing: a token that is
 * unknown, used or expired is refused 403 and nothing else is said; a good one's leg becomes the
 * participant of the caller's call in the room's mix, until a kick or the room's end (BYE from
 * the room's node) or the caller's BYE.
 */
import { SipResponseError, UnavailableError, hasCode, newId, silentLogger } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { IncomingInvite, UserAgent } from '../../sip/index.ts';
import { MediaEndpoint } from '../../endpoint/index.ts';
import type { MediaEndpointOptions } from '../../endpoint/index.ts';
import type { CallMedia } from '../media/call-media.ts';
import type { DialogJournal } from './dialog-journal.ts';
import { SipIncomingLeg } from './incoming-leg.ts';
import { LegDialog } from './leg-dialog.ts';

/** The header the admission token travels in (lower case as SipHeaders looks it up). */
export const JOIN_HEADER = 'x-callbin-join';
const SDP = 'application/sdp';

/** A leg to open into another node's room. */
export interface InterNodeJoin {
  callId: string;
  conferenceId: string;
  sipUri: string;
  token: string;
}

/** Options of {@link InterNodeJoinDialer}. */
export interface InterNodeJoinDialerOptions {
  ua: UserAgent;
  media: CallMedia;
  endpointOptions: MediaEndpointOptions;
  /** Host of our From URI. */
  fromHost: string;
  /** Keeps the leg's dialog state, so that the survivors BYE the room's node should this node die. */
  journal?: DialogJournal | undefined;
  logger?: Logger;
}

/** Opens the leg into the room of another node and bridges the caller to it (the joining node's side). */
export class InterNodeJoinDialer {
  readonly #o: InterNodeJoinDialerOptions;
  readonly #logger: Logger;

  constructor(options: InterNodeJoinDialerOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-legs' });
  }

  /** Resolves when the leg has ended (BYE from either side); aborting `signal` sends the BYE. */
  async join(request: InterNodeJoin, signal: AbortSignal): Promise<void> {
    const { media } = this.#o;
    const callerLegId = media.legIdForCall(request.callId);
    if (callerLegId === undefined)
      throw new UnavailableError('CONFERENCE_JOIN_FAILED', `call ${request.callId} has no media leg to join with`);
    // The caller's codec only, so that the bridge can relay RTP as it comes (docs/media.md "Bridging").
    const codec = media.endpoint(callerLegId).codecName;
    const { endpoint, offerSdp } = await MediaEndpoint.offer({ ...this.#o.endpointOptions, codecs: [codec] });
    const legId = newId();
    media.register(legId, endpoint);
    let dialog: LegDialog | undefined;
    try {
      const invite = this.#o.ua.invite({
        to: request.sipUri,
        from: `sip:callbin@${this.#o.fromHost}`,
        body: offerSdp,
        contentType: SDP,
        headers: [['X-Callbin-Join', request.token]],
        signal,
      });
      let answer: Awaited<typeof invite>;
      try {
        answer = await invite;
      } catch (err) {
        signal.throwIfAborted();
        const why = err instanceof SipResponseError ? `answered ${err.status} to` : 'did not answer';
        throw new UnavailableError(
          'CONFERENCE_JOIN_FAILED',
          `the node of conference ${request.conferenceId} ${why} the leg of call ${request.callId}`,
          { cause: err },
        );
      }
      const established = answer.dialog;
      const ended = new Promise<void>((resolve) => {
        dialog = new LegDialog(
          established,
          endpoint,
          {
            remoteEnded: () => undefined,
            ended: () => resolve(),
            journal: this.#o.journal?.forLeg(legId, () => request.callId),
          },
          this.#logger,
        );
      });
      endpoint.applyAnswer(answer.response.body.toString('utf8'));
      await media.bridge(callerLegId, legId);
      await Promise.race([ended, abortOf(signal)]);
    } finally {
      // Whatever ended the stay (the leg, the caller, a failure here), the room's node hears of it.
      await dialog?.bye().catch((err: unknown) => this.#logger.debug({ err }, 'BYE of the conference leg failed'));
      await media.release(legId);
    }
  }
}

function abortOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** What a consumed admission token admits. */
export interface InterNodeTicket {
  conferenceId: string;
  callId: string;
}

/** Options of {@link InterNodeJoinAcceptor}. */
export interface InterNodeJoinAcceptorOptions {
  /** Takes a token once; undefined when it is unknown, used or expired. */
  tickets: { consume(token: string): InterNodeTicket | undefined };
  /** The room's participants (ConferenceService.join: resolves when the participant leaves). */
  conferences: { join(callId: string, conferenceId: string, signal: AbortSignal): Promise<void> };
  media: CallMedia;
  endpointOptions: MediaEndpointOptions;
  logger?: Logger;
}

/** Takes the legs other nodes open into this node's rooms (the room's node's side). */
export class InterNodeJoinAcceptor {
  readonly #o: InterNodeJoinAcceptorOptions;
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<void>>();
  readonly #stays = new Set<AbortController>();

  constructor(options: InterNodeJoinAcceptorOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-legs' });
  }

  /** True when the INVITE is a leg between nodes (it carries the token header): it is handled here. */
  take(invite: IncomingInvite): boolean {
    const token = invite.request.headers.get(JOIN_HEADER);
    if (token === undefined) return false;
    const work = this.#accept(invite, token.trim())
      .catch((err: unknown) => {
        this.#logger.warn({ err }, 'conference leg from another node failed');
        if (invite.finalStatus === undefined) invite.reject(500);
      })
      .finally(() => this.#pending.delete(work));
    this.#pending.add(work);
    return true;
  }

  /** Resolves once every leg taken so far has ended. */
  async whenIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Shutdown: every leg leaves its room and gets its BYE, so the other nodes' callers go on. */
  async close(): Promise<void> {
    for (const stay of this.#stays) stay.abort(new Error('this node is shutting down'));
    await this.whenIdle();
  }

  async #accept(invite: IncomingInvite, token: string): Promise<void> {
    const ticket = this.#o.tickets.consume(token);
    if (!ticket) return void invite.reject(403, 'Forbidden');
    const offerSdp = invite.request.body.toString('utf8');
    let answered: Awaited<ReturnType<typeof MediaEndpoint.answer>>;
    try {
      answered = await MediaEndpoint.answer({ ...this.#o.endpointOptions, offerSdp });
    } catch (err) {
      if (!hasCode(err, 'SDP_NO_COMMON_CODEC')) this.#logger.warn({ err }, 'conference leg offer not answerable');
      return void invite.reject(488, 'Not Acceptable Here');
    }
    const leg = new SipIncomingLeg({
      invite,
      endpoint: answered.endpoint,
      answerSdp: answered.answerSdp,
      media: this.#o.media,
      logger: this.#logger,
      callId: () => ticket.callId,
    });
    // The leg is the participant of the caller's call, which lives on the other node.
    this.#o.media.bindCall(leg.leg_id, ticket.callId);
    const gone = new AbortController();
    this.#stays.add(gone);
    const leave = (): void => gone.abort(new Error('the leg between the nodes ended'));
    leg.listen({
      ringing: () => undefined,
      answered: () => undefined,
      failed: leave,
      remoteBye: leave,
      remoteCancel: leave,
    });
    try {
      await leg.answer();
    } catch (err) {
      this.#logger.debug({ err }, 'conference leg from another node not established');
      this.#stays.delete(gone);
      await leg.reject(480);
      return;
    }
    try {
      await this.#o.conferences.join(ticket.callId, ticket.conferenceId, gone.signal);
    } catch (err) {
      if (!gone.signal.aborted) this.#logger.info({ err, callId: ticket.callId }, 'conference leg not joined');
    } finally {
      this.#stays.delete(gone);
      await leg.bye();
    }
  }
}
