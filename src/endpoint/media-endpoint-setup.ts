import { systemClock } from '../shared/index.ts';
import { RtpSession, isWebRtcOffer } from '../media/index.ts';
import { CODEC_SPECS, TELEPHONE_EVENT_OFFER_PT } from '../sdp/index.ts';
import type { MediaEndpointOptions } from './media-endpoint-types.ts';
import { NegotiatedAudioCodec } from './media-negotiated-codec.ts';
import {
  MediaSdpSession,
  previewAnswer,
  type MediaCodecName,
  type MediaPlan,
  type SdpSession,
} from './media-sdp-session.ts';
import { WebRtcSdpSession } from './webrtc-sdp-session.ts';

/** Codecs of a plain RTP leg when the options name none: G.711, what every phone and trunk speaks. */
export const DEFAULT_CODECS: readonly MediaCodecName[] = ['PCMU', 'PCMA'];

/**
 * Codecs of a WebRTC leg when the options name none: Opus first, as browsers prefer it, then G.711
 * (docs/webrtc.md "Opus").
 */
export const DEFAULT_WEBRTC_CODECS: readonly MediaCodecName[] = ['opus', 'PCMU', 'PCMA'];

/** What a MediaEndpoint is made of once an offer was made or answered. */
export interface EndpointParts {
  session: RtpSession;
  codec: NegotiatedAudioCodec;
  sdp: SdpSession;
  plan: MediaPlan;
}

/**
 * The parts of a leg answering a remote offer, plain RTP or WebRTC (docs/webrtc.md "The WebRTC
 * leg"); throws AppError `SDP_NO_COMMON_CODEC` or `SDP_WEBRTC_INVALID` (answer 488) before taking
 * any port.
 */
export async function answerParts(
  options: MediaEndpointOptions & { offerSdp: string },
): Promise<EndpointParts & { answerSdp: string }> {
  if (isWebRtcOffer(options.offerSdp)) {
    const { sdp, answerSdp, plan } = await WebRtcSdpSession.answer(options.offerSdp, {
      ports: options.allocator,
      address: options.address,
      codecs: options.codecs ?? DEFAULT_WEBRTC_CODECS,
    });
    const codec = new NegotiatedAudioCodec(plan.codec.name as MediaCodecName, plan.codec.pt);
    const session = over(sdp, options, codec, plan.telephoneEventPt);
    return { session, codec, sdp, plan, answerSdp };
  }
  const codecs = options.codecs ?? DEFAULT_CODECS;
  const preview = previewAnswer(options.offerSdp, codecs);
  const codec = new NegotiatedAudioCodec(preview.codec.name as MediaCodecName, preview.codec.pt);
  const session = await open(options, codec, preview.telephoneEventPt);
  try {
    const sdp = new MediaSdpSession(options.address, codecs);
    const { answerSdp, plan } = sdp.answer(options.offerSdp, session.localPort);
    return { session, codec, sdp, plan, answerSdp };
  } catch (err) {
    session.close();
    codec.close();
    throw err;
  }
}

/** The parts of a leg making our offer for an outgoing call (`webrtc`: to a browser). */
export async function offerParts(
  options: MediaEndpointOptions & { webrtc?: boolean },
): Promise<EndpointParts & { offerSdp: string }> {
  if (options.webrtc) {
    const codecs = options.codecs ?? DEFAULT_WEBRTC_CODECS;
    const { sdp, offerSdp } = await WebRtcSdpSession.offer({
      ports: options.allocator,
      address: options.address,
      codecs,
    });
    const codec = firstCodec(codecs);
    const session = over(sdp, options, codec, TELEPHONE_EVENT_OFFER_PT);
    return { session, codec, sdp, plan: sendRecvPlan(codec), offerSdp };
  }
  const codecs = options.codecs ?? DEFAULT_CODECS;
  const sdp = new MediaSdpSession(options.address, codecs);
  const codec = firstCodec(codecs);
  const session = await open(options, codec, TELEPHONE_EVENT_OFFER_PT);
  const offerSdp = sdp.createOffer(session.localPort);
  return { session, codec, sdp, plan: sendRecvPlan(codec), offerSdp };
}

/** Until the answer comes, a leg expects the first codec of its offer, with the payload type we offered. */
function firstCodec(codecs: readonly MediaCodecName[]): NegotiatedAudioCodec {
  const name = codecs[0] ?? 'PCMU';
  return new NegotiatedAudioCodec(name, CODEC_SPECS[name].offerPt);
}

function sendRecvPlan(codec: NegotiatedAudioCodec): MediaPlan {
  return { codec: { pt: codec.payloadType, name: codec.name, clockRate: codec.clockRate }, send: true, receive: true };
}

function over(
  sdp: WebRtcSdpSession,
  options: MediaEndpointOptions,
  codec: NegotiatedAudioCodec,
  telephoneEventPt: number | undefined,
): RtpSession {
  const base = { codec, clock: options.clock ?? systemClock };
  return RtpSession.over(sdp.transport, telephoneEventPt === undefined ? base : { ...base, telephoneEventPt });
}

function open(
  options: MediaEndpointOptions,
  codec: NegotiatedAudioCodec,
  telephoneEventPt: number | undefined,
): Promise<RtpSession> {
  const base = { ports: options.allocator, codec, clock: options.clock ?? systemClock };
  return RtpSession.open(telephoneEventPt === undefined ? base : { ...base, telephoneEventPt });
}
