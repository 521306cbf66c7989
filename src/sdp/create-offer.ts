import { randomInt } from 'node:crypto';
import { CODEC_SPECS, TELEPHONE_EVENT_FMTP, TELEPHONE_EVENT_OFFER_PT, offerFormat } from './codecs.ts';
import type { CodecName, MediaDescription, MediaDirection, RtpFormat, SessionDescription } from './types.ts';

/** Options of {@link createOffer}. */
export interface OfferOptions {
  /** Our RTP address, written in `c=` and `o=`. */
  address: string;
  /** Our RTP port. */
  port: number;
  /** Codecs in preference order. */
  codecs: readonly CodecName[];
  /** Offer RFC 4733 telephone-event (default true). */
  telephoneEvent?: boolean;
  direction?: MediaDirection;
  sessionId?: string;
  sessionVersion?: number;
  /** Packetization time in ms (default 20). */
  ptime?: number;
}

/** A fresh random session id for `o=` (RFC 4566 §5.2 suggests an NTP-like unique number). */
export function newSessionId(): string {
  return String(randomInt(1, 2 ** 47));
}

/** Telephone-event formats matching the clock rates of the offered codecs (RFC 4733 §2.1). */
function telephoneEventFormats(codecs: readonly CodecName[]): RtpFormat[] {
  const rates = [...new Set(codecs.map((c) => CODEC_SPECS[c].clockRate))];
  return rates.map((clockRate, i) => ({
    pt: TELEPHONE_EVENT_OFFER_PT + i,
    name: 'telephone-event',
    clockRate,
    fmtp: TELEPHONE_EVENT_FMTP,
  }));
}

/** Builds an RFC 3264 §5 offer with one audio stream. */
export function createOffer(opts: OfferOptions): SessionDescription {
  const codecs = [...new Set(opts.codecs)];
  const formats = codecs.map(offerFormat);
  if (opts.telephoneEvent ?? true) formats.push(...telephoneEventFormats(codecs));
  const media: MediaDescription = {
    type: 'audio',
    port: opts.port,
    protocol: 'RTP/AVP',
    formats,
    direction: opts.direction ?? 'sendrecv',
    ptime: opts.ptime ?? 20,
    attributes: [],
  };
  return {
    origin: {
      username: '-',
      sessionId: opts.sessionId ?? newSessionId(),
      sessionVersion: opts.sessionVersion ?? 0,
      address: opts.address,
    },
    sessionName: 'callbin',
    connectionAddress: opts.address,
    media: [media],
    attributes: [],
  };
}

/** Changes applied by {@link createReoffer}. */
export interface ReofferOptions {
  /** New direction of the audio streams (hold: `sendonly`, unhold: `sendrecv`). */
  direction?: MediaDirection;
  address?: string;
  port?: number;
}

/**
 * Builds a re-INVITE offer from our previous description: same session id, version + 1
 * (RFC 3264 §8: a changed description must carry a higher version).
 */
export function createReoffer(previous: SessionDescription, opts: ReofferOptions = {}): SessionDescription {
  const media = previous.media.map((m) => {
    const next: MediaDescription = { ...m, formats: m.formats.map((f) => ({ ...f })), attributes: [...m.attributes] };
    if (m.type === 'audio' && m.port !== 0) {
      if (opts.direction) next.direction = opts.direction;
      if (opts.port !== undefined) next.port = opts.port;
      if (opts.address !== undefined && next.connectionAddress !== undefined) next.connectionAddress = opts.address;
    }
    return next;
  });
  const desc: SessionDescription = {
    ...previous,
    origin: { ...previous.origin, sessionVersion: previous.origin.sessionVersion + 1 },
    media,
    attributes: [...previous.attributes],
  };
  if (opts.address !== undefined) {
    desc.connectionAddress = opts.address;
    desc.origin.address = opts.address;
  }
  return desc;
}

/** A re-INVITE offer putting the remote party on hold (RFC 3264 §8.4: `a=sendonly`). */
export function holdOffer(previous: SessionDescription): SessionDescription {
  return createReoffer(previous, { direction: 'sendonly' });
}

/** A re-INVITE offer taking the remote party off hold (`a=sendrecv`). */
export function unholdOffer(previous: SessionDescription): SessionDescription {
  return createReoffer(previous, { direction: 'sendrecv' });
}
