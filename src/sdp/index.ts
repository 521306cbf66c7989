export type {
  CodecName,
  MediaDescription,
  MediaDirection,
  MediaType,
  NegotiatedCodec,
  RtpFormat,
  SdpAttribute,
  SdpOrigin,
  SessionDescription,
} from './types.ts';
export { parseSdp, formatSdp } from './parse-sdp.ts';
export { CODEC_SPECS, TELEPHONE_EVENT_FMTP, TELEPHONE_EVENT_OFFER_PT, isCodec, isTelephoneEvent } from './codecs.ts';
export type { CodecSpec } from './codecs.ts';
export { createOffer, createReoffer, holdOffer, unholdOffer, newSessionId } from './create-offer.ts';
export type { OfferOptions, ReofferOptions } from './create-offer.ts';
export { negotiateAnswer, parseAnswer, mediaAddress } from './negotiate-answer.ts';
export type { AnswerOptions, NegotiatedAnswer, NegotiatedMedia } from './negotiate-answer.ts';
export { STATIC_AUDIO_PAYLOADS } from './static-payloads.ts';
