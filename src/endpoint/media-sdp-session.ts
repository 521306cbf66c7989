import { AppError, InvalidStateError } from '../shared/index.ts';
import {
  createOffer,
  createReoffer,
  formatSdp,
  negotiateAnswer,
  parseAnswer,
  parseSdp,
  type CodecName,
  type MediaDirection,
  type NegotiatedCodec,
  type NegotiatedMedia,
  type SessionDescription,
} from '../sdp/index.ts';

/** Where and how a leg's RTP flows after an offer/answer exchange. */
export interface MediaPlan {
  codec: NegotiatedCodec;
  /** Telephone-event payload type both sides agreed on, when any. */
  telephoneEventPt?: number;
  /** Where to send; absent while the peer gave no usable address (hold by `c=0.0.0.0`). */
  remote?: { address: string; port: number };
  /** We may send media (RFC 3264 §6.1: our direction includes send). */
  send: boolean;
  /** We take media from the peer. */
  receive: boolean;
}

/** The codecs a MediaEndpoint can serve: G.711, and Opus (RFC 7587) where a leg offers it. */
export type MediaCodecName = Extract<CodecName, 'PCMU' | 'PCMA' | 'opus'>;

/** The SDP side of a leg, plain RTP or WebRTC: what MediaEndpoint calls after the first exchange. */
export interface SdpSession {
  answer(offerSdp: string, port: number): { answerSdp: string; plan: MediaPlan };
  reoffer(hold: boolean): string;
  applyAnswer(answerSdp: string): MediaPlan;
  abandonOffer(): void;
}

const HOLD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/** What negotiation agreed, without where to send: the codec, DTMF and the directions (RFC 3264 §6.1). */
export function directionPlan(media: NegotiatedMedia): MediaPlan {
  const d = media.direction;
  const plan: MediaPlan = {
    codec: media.codec,
    send: d === 'sendrecv' || d === 'sendonly',
    receive: d === 'sendrecv' || d === 'recvonly',
  };
  if (media.telephoneEventPt !== undefined) plan.telephoneEventPt = media.telephoneEventPt;
  return plan;
}

/** Turns what negotiation agreed into the RTP path's plan. */
function planOf(media: NegotiatedMedia): MediaPlan {
  const plan = directionPlan(media);
  if (!HOLD_ADDRESSES.has(media.remote.address) && media.remote.port > 0) plan.remote = { ...media.remote };
  return plan;
}

/**
 * Negotiates what a remote offer allows without allocating anything, so an unacceptable offer is
 * refused (AppError `SDP_NO_COMMON_CODEC`, the SIP side answers 488) before ports are taken.
 */
export function previewAnswer(offerSdp: string, codecs: readonly MediaCodecName[]): MediaPlan {
  return planOf(negotiateAnswer(offerSdp, { address: '0.0.0.0', port: 9, supported: codecs }));
}

/**
 * The SDP side of one call leg (RFC 3264): our current description with its origin and version,
 * the offer awaiting an answer, and whether we hold the peer. Pure: it takes and returns SDP text
 * and leaves sockets to the caller.
 */
export class MediaSdpSession implements SdpSession {
  readonly #address: string;
  readonly #codecs: readonly MediaCodecName[];
  #local: SessionDescription | undefined;
  #pendingOffer: SessionDescription | undefined;
  #localHold = false;

  constructor(address: string, codecs: readonly MediaCodecName[]) {
    if (codecs.length === 0) throw new AppError('SDP_NO_COMMON_CODEC', 'a media endpoint needs at least one codec');
    this.#address = address;
    this.#codecs = codecs;
  }

  /** True while an offer of ours waits for its answer. */
  get awaitingAnswer(): boolean {
    return this.#pendingOffer !== undefined;
  }

  /** Our first offer for a call we place. */
  createOffer(port: number): string {
    this.#pendingOffer = createOffer({ address: this.#address, port, codecs: this.#codecs });
    return formatSdp(this.#pendingOffer);
  }

  /**
   * Answers a remote offer, initial or in a re-INVITE. RFC 3264 §8: the origin keeps its session id
   * and its version goes up only when the description changed.
   */
  answer(offerSdp: string, port: number): { answerSdp: string; plan: MediaPlan } {
    const previous = this.#local;
    const direction: MediaDirection = this.#localHold ? 'sendonly' : 'sendrecv';
    const base = { address: this.#address, port, supported: this.#codecs, direction };
    let result = negotiateAnswer(
      offerSdp,
      previous
        ? { ...base, sessionId: previous.origin.sessionId, sessionVersion: previous.origin.sessionVersion }
        : base,
    );
    if (previous && formatSdp(result.answer) !== formatSdp(previous)) {
      result = negotiateAnswer(offerSdp, {
        ...base,
        sessionId: previous.origin.sessionId,
        sessionVersion: previous.origin.sessionVersion + 1,
      });
    }
    this.#local = result.answer;
    this.#pendingOffer = undefined;
    return { answerSdp: formatSdp(result.answer), plan: planOf(result) };
  }

  /** A re-INVITE offer putting the peer on hold (`sendonly`, RFC 3264 §8.4) or taking it off. */
  reoffer(hold: boolean): string {
    if (!this.#local) throw new InvalidStateError('no media negotiated yet to re-offer', 'MEDIA_NOT_NEGOTIATED');
    this.#localHold = hold;
    this.#pendingOffer = createReoffer(this.#local, { direction: hold ? 'sendonly' : 'sendrecv' });
    return formatSdp(this.#pendingOffer);
  }

  /** Reads the answer to our pending offer; throws InvalidStateError when no offer is pending. */
  applyAnswer(answerSdp: string): MediaPlan {
    const offer = this.#pendingOffer;
    if (!offer) throw new InvalidStateError('no offer of ours awaits an answer', 'MEDIA_NO_PENDING_OFFER');
    const plan = planOf(parseAnswer(offer, parseSdp(answerSdp)));
    this.#local = offer;
    this.#pendingOffer = undefined;
    return plan;
  }

  /** Drops the pending offer (its re-INVITE failed); our previous description stays current. */
  abandonOffer(): void {
    if (this.#pendingOffer && this.#local) this.#localHold = this.#local.media.some((m) => m.direction === 'sendonly');
    this.#pendingOffer = undefined;
  }
}
