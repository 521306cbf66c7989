import { AppError } from '../shared/index.ts';
import { CODEC_SPECS, isCodec, isTelephoneEvent } from './codecs.ts';
import { newSessionId } from './create-offer.ts';
import { parseSdp } from './parse-sdp.ts';
import type {
  CodecName,
  MediaDescription,
  MediaDirection,
  NegotiatedCodec,
  RtpFormat,
  SessionDescription,
} from './types.ts';

/** Options of {@link negotiateAnswer}. */
export interface AnswerOptions {
  /** Our RTP address. */
  address: string;
  /** Our RTP port. */
  port: number;
  /** Codecs we can serve, in our preference order (default `['PCMU', 'PCMA']`). */
  supported?: readonly CodecName[];
  /** What we want to do (default `sendrecv`); intersected with the offer per RFC 3264 §6.1. */
  direction?: MediaDirection;
  /** Transport protocols we accept (default `RTP/AVP`, `RTP/AVPF`); WebRTC callers add `UDP/TLS/RTP/SAVPF`. */
  protocols?: readonly string[];
  /** Keep our origin across re-INVITEs. */
  sessionId?: string;
  sessionVersion?: number;
  /** Packetization time in ms (default 20). */
  ptime?: number;
}

/** What was agreed for the one audio stream callbin serves. */
export interface NegotiatedMedia {
  codec: NegotiatedCodec;
  /** Payload type of telephone-event at the codec's clock rate, when both sides have it. */
  telephoneEventPt?: number;
  /** Where to send RTP (`0.0.0.0` for an RFC 2543-style hold). */
  remote: { address: string; port: number };
  remoteRtcpPort?: number;
  /** Our direction on this stream. */
  direction: MediaDirection;
  /** True when the remote side does not want media from us (RFC 3264 §8.4 hold). */
  onHold: boolean;
  /** Index of the audio `m=` line in the descriptions. */
  mediaIndex: number;
}

/** The outcome of {@link negotiateAnswer}. */
export interface NegotiatedAnswer extends NegotiatedMedia {
  answer: SessionDescription;
}

const HOLD_ADDRESSES = new Set(['0.0.0.0', '::']);

/**
 * True when `c=` says "do not send to me" (RFC 3264 §8.4, RFC 2543 style). ICE offers carry
 * c=0.0.0.0 as a placeholder (RFC 8839 §4.2.1), so it is not a hold there.
 */
function isHoldAddress(desc: SessionDescription, media: MediaDescription, address: string): boolean {
  const ice = [...desc.attributes, ...media.attributes].some((a) => a.name === 'ice-ufrag');
  return !ice && HOLD_ADDRESSES.has(address);
}

/** Splits a direction into its send and receive halves. */
function halves(direction: MediaDirection): { send: boolean; recv: boolean } {
  return {
    send: direction === 'sendrecv' || direction === 'sendonly',
    recv: direction === 'sendrecv' || direction === 'recvonly',
  };
}

/** Joins send and receive halves into a direction. */
function directionOf(send: boolean, recv: boolean): MediaDirection {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  return recv ? 'recvonly' : 'inactive';
}

/** The address RTP for `media` goes to: media-level `c=` overrides session-level (RFC 4566 §5.7). */
export function mediaAddress(desc: SessionDescription, media: MediaDescription): string {
  return media.connectionAddress ?? desc.connectionAddress ?? '';
}

/** Picks our first preferred codec the stream offers, with its matching telephone-event. */
function pickCodec(
  media: MediaDescription,
  supported: readonly CodecName[],
): { codec: RtpFormat; dtmf?: RtpFormat } | undefined {
  for (const name of supported) {
    const codec = media.formats.find((f) => isCodec(f, name));
    if (!codec) continue;
    const dtmf = media.formats.find((f) => isTelephoneEvent(f, CODEC_SPECS[name].clockRate));
    return dtmf ? { codec, dtmf } : { codec };
  }
  return undefined;
}

/** A copy of an offered stream with port 0: RFC 3264 §6 rejection keeps the offered formats. */
function rejected(media: MediaDescription): MediaDescription {
  const out: MediaDescription = {
    type: media.type,
    port: 0,
    protocol: media.protocol,
    formats: media.formats.map((f) => ({ ...f })),
    direction: media.direction,
    attributes: [],
  };
  if (media.otherFormats) out.otherFormats = [...media.otherFormats];
  return out;
}

/** Copies an offered format into the negotiated codec shape. */
function toNegotiated(f: RtpFormat): NegotiatedCodec {
  const codec: NegotiatedCodec = { pt: f.pt, name: f.name, clockRate: f.clockRate };
  if (f.channels !== undefined) codec.channels = f.channels;
  if (f.fmtp !== undefined) codec.fmtp = f.fmtp;
  return codec;
}

interface Choice {
  index: number;
  codec: RtpFormat;
  dtmf?: RtpFormat;
}

/** Finds the first audio stream with an accepted transport and a common codec. */
function chooseStream(
  offer: SessionDescription,
  supported: readonly CodecName[],
  protocols: readonly string[],
): Choice {
  let audioSeen = false;
  for (const [index, media] of offer.media.entries()) {
    if (media.type !== 'audio' || media.port === 0) continue;
    if (!protocols.includes(media.protocol)) continue;
    audioSeen = true;
    const picked = pickCodec(media, supported);
    if (picked) return { index, ...picked };
  }
  const why = audioSeen
    ? `none of ${supported.join(', ')} is offered`
    : `no active audio stream over ${protocols.join(' or ')}`;
  throw new AppError('SDP_NO_COMMON_CODEC', `no acceptable media in offer: ${why}`);
}

/**
 * Answers an offer per RFC 3264 §6: one answer stream per offered stream, the first usable
 * audio stream accepted with our preferred common codec, every other stream rejected (port 0).
 * Throws `SDP_INVALID` for unparsable text and `SDP_NO_COMMON_CODEC` when nothing is acceptable.
 */
export function negotiateAnswer(offerInput: string | SessionDescription, opts: AnswerOptions): NegotiatedAnswer {
  const offer = typeof offerInput === 'string' ? parseSdp(offerInput) : offerInput;
  const choice = chooseStream(offer, opts.supported ?? ['PCMU', 'PCMA'], opts.protocols ?? ['RTP/AVP', 'RTP/AVPF']);
  const offered = offer.media[choice.index] as MediaDescription;
  const remoteAddress = mediaAddress(offer, offered);
  const theirs = halves(offered.direction);
  const theyReceive = theirs.recv && !isHoldAddress(offer, offered, remoteAddress);
  const ours = halves(opts.direction ?? 'sendrecv');
  // RFC 3264 §6.1: we may send only what they receive and receive only what they send.
  const direction = directionOf(ours.send && theyReceive, ours.recv && theirs.send);
  const formats = [toNegotiated(choice.codec), ...(choice.dtmf ? [toNegotiated(choice.dtmf)] : [])];
  const accepted: MediaDescription = {
    type: 'audio',
    port: opts.port,
    protocol: offered.protocol,
    formats,
    direction,
    ptime: opts.ptime ?? 20,
    attributes: [],
  };
  const answer: SessionDescription = {
    origin: {
      username: '-',
      sessionId: opts.sessionId ?? newSessionId(),
      sessionVersion: opts.sessionVersion ?? 0,
      address: opts.address,
    },
    sessionName: 'callbin',
    connectionAddress: opts.address,
    media: offer.media.map((m, i) => (i === choice.index ? accepted : rejected(m))),
    attributes: [],
  };
  const result: NegotiatedAnswer = {
    answer,
    codec: toNegotiated(choice.codec),
    remote: { address: remoteAddress, port: offered.port },
    direction,
    onHold: !theyReceive,
    mediaIndex: choice.index,
  };
  if (choice.dtmf) result.telephoneEventPt = choice.dtmf.pt;
  if (offered.rtcpPort !== undefined) result.remoteRtcpPort = offered.rtcpPort;
  return result;
}

/**
 * Reads the answer to one of our offers: the codec and telephone-event payload types the answerer
 * chose (RFC 3264 §6.1: we send with the answer's numbers), where to send, and our direction.
 */
export function parseAnswer(
  offerInput: string | SessionDescription,
  answerInput: string | SessionDescription,
): NegotiatedMedia {
  const offer = typeof offerInput === 'string' ? parseSdp(offerInput) : offerInput;
  const answer = typeof answerInput === 'string' ? parseSdp(answerInput) : answerInput;
  if (answer.media.length !== offer.media.length) {
    throw new AppError(
      'SDP_INVALID',
      `invalid SDP: answer has ${answer.media.length} m= lines, offer had ${offer.media.length} (RFC 3264 §6)`,
    );
  }
  for (const [index, media] of answer.media.entries()) {
    const ours = offer.media[index] as MediaDescription;
    if (media.type !== 'audio' || media.port === 0 || ours.port === 0) continue;
    const names = (Object.keys(CODEC_SPECS) as CodecName[]).filter((n) => ours.formats.some((f) => isCodec(f, n)));
    // RFC 3264 §6.1: the answerer lists formats in its preference order, so take its first one we offered.
    const codec = media.formats.find((f) => names.some((n) => isCodec(f, n)));
    if (!codec) continue;
    const remoteAddress = mediaAddress(answer, media);
    const theirs = halves(media.direction);
    const wanted = halves(ours.direction);
    const dtmf = media.formats.find((f) => isTelephoneEvent(f, codec.clockRate));
    const receiving = theirs.recv && !isHoldAddress(answer, media, remoteAddress);
    const result: NegotiatedMedia = {
      codec: toNegotiated(codec),
      remote: { address: remoteAddress, port: media.port },
      direction: directionOf(wanted.send && receiving, wanted.recv && theirs.send),
      onHold: !receiving,
      mediaIndex: index,
    };
    if (dtmf) result.telephoneEventPt = dtmf.pt;
    if (media.rtcpPort !== undefined) result.remoteRtcpPort = media.rtcpPort;
    return result;
  }
  throw new AppError('SDP_NO_COMMON_CODEC', 'the answer accepts no audio stream with a codec we offered');
}
