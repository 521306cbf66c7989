import type { CodecName, RtpFormat } from './types.ts';

/** How callbin writes each codec it supports in an offer. */
export interface CodecSpec {
  name: CodecName;
  clockRate: number;
  channels?: number;
  /** Payload type used in our own offers (static for G.711, dynamic for Opus). */
  offerPt: number;
  fmtp?: string;
}

/** Codecs callbin can send and receive, with the payload types of our own offers. */
export const CODEC_SPECS: Readonly<Record<CodecName, CodecSpec>> = {
  PCMU: { name: 'PCMU', clockRate: 8000, offerPt: 0 },
  PCMA: { name: 'PCMA', clockRate: 8000, offerPt: 8 },
  // RFC 7587 §7: Opus is always signalled as opus/48000/2 whatever the real rate.
  opus: { name: 'opus', clockRate: 48000, channels: 2, offerPt: 111, fmtp: 'minptime=10;useinbandfec=1' },
};

/** Dynamic payload type of telephone-event in our own offers (RFC 4733). */
export const TELEPHONE_EVENT_OFFER_PT = 101;

/** Events 0-16: DTMF digits, `*`, `#`, A-D and flash (RFC 4733 §3.2). */
export const TELEPHONE_EVENT_FMTP = '0-16';

/** True when `format` is the codec `name` (encoding names are case-insensitive, RFC 4855 §3). */
export function isCodec(format: RtpFormat, name: CodecName): boolean {
  const spec = CODEC_SPECS[name];
  return format.name.toLowerCase() === spec.name.toLowerCase() && format.clockRate === spec.clockRate;
}

/** True when `format` is telephone-event at `clockRate`. */
export function isTelephoneEvent(format: RtpFormat, clockRate: number): boolean {
  return format.name.toLowerCase() === 'telephone-event' && format.clockRate === clockRate;
}

/** The model format callbin writes for `name` in an offer. */
export function offerFormat(name: CodecName): RtpFormat {
  const spec = CODEC_SPECS[name];
  const format: RtpFormat = { pt: spec.offerPt, name: spec.name, clockRate: spec.clockRate };
  if (spec.channels !== undefined) format.channels = spec.channels;
  if (spec.fmtp !== undefined) format.fmtp = spec.fmtp;
  return format;
}
