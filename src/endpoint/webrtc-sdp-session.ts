import { AppError, InvalidStateError } from '../shared/index.ts';
import { type PortAllocator, WebRtcTransport, type WebRtcCodec, webRtcCredentials } from '../media/index.ts';
import {
  CODEC_SPECS,
  TELEPHONE_EVENT_FMTP,
  negotiateAnswer,
  parseAnswer,
  parseSdp,
  type MediaDirection,
  type NegotiatedCodec,
} from '../sdp/index.ts';
import { directionPlan, type MediaCodecName, type MediaPlan, type SdpSession } from './media-sdp-session.ts';

/** The transport protocols of browser media (RFC 8829 §5.1.2). */
const WEBRTC_PROTOCOLS = ['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVP'];

/** What a WebRTC leg needs to set up its description. */
export interface WebRtcSdpOptions {
  ports: PortAllocator;
  address: string;
  codecs: readonly MediaCodecName[];
}

/** Our offered formats: each codec as callbin offers it, then telephone-event at each clock rate (RFC 4733). */
function offerCodecs(names: readonly MediaCodecName[]): WebRtcCodec[] {
  const out: WebRtcCodec[] = names.map((name) => {
    const spec = CODEC_SPECS[name];
    const codec: WebRtcCodec = { name: spec.name, payloadType: spec.offerPt, clockRate: spec.clockRate };
    if (spec.channels !== undefined) codec.channels = spec.channels;
    if (spec.fmtp !== undefined) codec.fmtp = spec.fmtp;
    return codec;
  });
  const rates = [...new Set(out.map((c) => c.clockRate))];
  rates.forEach((clockRate, i) => {
    out.push({ name: 'telephone-event', payloadType: 101 + i, clockRate, fmtp: TELEPHONE_EVENT_FMTP });
  });
  return out;
}

function webRtcCodec(codec: NegotiatedCodec): WebRtcCodec {
  const out: WebRtcCodec = { name: codec.name, payloadType: codec.pt, clockRate: codec.clockRate };
  if (codec.channels !== undefined) out.channels = codec.channels;
  if (codec.fmtp !== undefined) out.fmtp = codec.fmtp;
  return out;
}

/** Our description with `direction` on its audio stream and the origin version `version` (RFC 3264 §8). */
function rewrite(sdp: string, direction: MediaDirection, version: number): string {
  return sdp
    .replace(/^a=(sendrecv|sendonly|recvonly|inactive)\r?$/gm, `a=${direction}`)
    .replace(/^o=(\S+) (\S+) \d+ /m, `o=$1 $2 ${version} `);
}

function versionOf(sdp: string): number {
  return Number(/^o=\S+ \S+ (\d+) /m.exec(sdp)?.[1] ?? 0);
}

/**
 * The SDP side of a WebRTC leg (docs/webrtc.md "The WebRTC leg"): the first exchange goes through
 * werift (ICE, DTLS fingerprints, candidates); later exchanges (hold, unhold) keep the transport as
 * it is and only change our direction, so a re-offer that restarts ICE or changes the DTLS
 * identity is refused with `SDP_WEBRTC_INVALID`.
 */
export class WebRtcSdpSession implements SdpSession {
  readonly transport: WebRtcTransport;
  readonly #codecs: readonly MediaCodecName[];
  #local: string;
  #pendingOffer: string | undefined;
  #initialOffer = false;
  #localHold = false;

  private constructor(transport: WebRtcTransport, codecs: readonly MediaCodecName[], local: string) {
    this.transport = transport;
    this.#codecs = codecs;
    this.#local = local;
  }

  /** Answers a browser's offer: AppError `SDP_WEBRTC_INVALID` or `SDP_NO_COMMON_CODEC` before any port is taken. */
  static async answer(
    offerSdp: string,
    options: WebRtcSdpOptions,
  ): Promise<{ sdp: WebRtcSdpSession; answerSdp: string; plan: MediaPlan }> {
    webRtcCredentials(offerSdp);
    const negotiated = negotiateAnswer(offerSdp, {
      address: '0.0.0.0',
      port: 9,
      supported: options.codecs,
      protocols: WEBRTC_PROTOCOLS,
    });
    const codecs = [webRtcCodec(negotiated.codec)];
    if (negotiated.telephoneEventPt !== undefined) {
      codecs.push({
        name: 'telephone-event',
        payloadType: negotiated.telephoneEventPt,
        clockRate: negotiated.codec.clockRate,
        fmtp: TELEPHONE_EVENT_FMTP,
      });
    }
    const { transport, answerSdp } = await WebRtcTransport.answer(offerSdp, {
      ports: options.ports,
      address: options.address,
      codecs,
    });
    return {
      sdp: new WebRtcSdpSession(transport, options.codecs, answerSdp),
      answerSdp,
      plan: directionPlan(negotiated),
    };
  }

  /** Our offer for a call to a browser: the G.711 codecs with telephone-event/8000 (RFC 4733). */
  static async offer(options: WebRtcSdpOptions): Promise<{ sdp: WebRtcSdpSession; offerSdp: string }> {
    const codecs = offerCodecs(options.codecs);
    const { transport, offerSdp } = await WebRtcTransport.offer({
      ports: options.ports,
      address: options.address,
      codecs,
    });
    const sdp = new WebRtcSdpSession(transport, options.codecs, offerSdp);
    sdp.#pendingOffer = offerSdp;
    sdp.#initialOffer = true;
    return { sdp, offerSdp };
  }

  get awaitingAnswer(): boolean {
    return this.#pendingOffer !== undefined;
  }

  /** Answers a re-offer (hold, unhold) on the running transport; ICE restarts are refused. */
  answer(offerSdp: string): { answerSdp: string; plan: MediaPlan } {
    this.#assertSameTransport(offerSdp);
    const negotiated = negotiateAnswer(offerSdp, {
      address: '0.0.0.0',
      port: 9,
      supported: this.#codecs,
      protocols: WEBRTC_PROTOCOLS,
      direction: this.#localHold ? 'sendonly' : 'sendrecv',
    });
    const version = versionOf(this.#local);
    const same = rewrite(this.#local, negotiated.direction, version);
    this.#local = same === this.#local ? same : rewrite(this.#local, negotiated.direction, version + 1);
    this.#pendingOffer = undefined;
    return { answerSdp: this.#local, plan: directionPlan(negotiated) };
  }

  /** A re-offer holding the browser (`sendonly`, RFC 3264 §8.4) or taking it off hold. */
  reoffer(hold: boolean): string {
    if (this.#initialOffer) throw new InvalidStateError('no media negotiated yet to re-offer', 'MEDIA_NOT_NEGOTIATED');
    this.#localHold = hold;
    this.#pendingOffer = rewrite(this.#local, hold ? 'sendonly' : 'sendrecv', versionOf(this.#local) + 1);
    return this.#pendingOffer;
  }

  /**
   * Reads the answer to our pending offer. The first answer also goes to werift, which sets up ICE
   * and DTLS in the background; if werift refuses it the transport state becomes `failed`.
   */
  applyAnswer(answerSdp: string): MediaPlan {
    const offer = this.#pendingOffer;
    if (!offer) throw new InvalidStateError('no offer of ours awaits an answer', 'MEDIA_NO_PENDING_OFFER');
    webRtcCredentials(answerSdp);
    const plan = directionPlan(parseAnswer(parseSdp(offer), parseSdp(answerSdp)));
    if (this.#initialOffer) {
      this.#initialOffer = false;
      this.transport.applyAnswer(answerSdp).catch(() => this.transport.fail());
    } else {
      this.#assertSameTransport(answerSdp);
    }
    this.#local = offer;
    this.#pendingOffer = undefined;
    return plan;
  }

  /** Drops a re-offer whose re-INVITE failed; the previous description stays. */
  abandonOffer(): void {
    if (this.#initialOffer || !this.#pendingOffer) return;
    this.#localHold = /^a=sendonly\r?$/m.test(this.#local);
    this.#pendingOffer = undefined;
  }

  #assertSameTransport(sdp: string): void {
    const { iceUfrag } = webRtcCredentials(sdp);
    const current = this.transport.remoteIceUfrag;
    if (current !== undefined && current !== iceUfrag) {
      throw new AppError('SDP_WEBRTC_INVALID', 'invalid WebRTC SDP: an ICE restart on a running leg is not supported');
    }
  }
}
