import type { RtpFormat } from './types.ts';

/**
 * RFC 3551 Table 4: static audio payload types, used when an offer lists one without `rtpmap`
 * (RFC 4566 §6 allows omitting it for static types).
 */
export const STATIC_AUDIO_PAYLOADS: ReadonlyMap<number, Omit<RtpFormat, 'fmtp'>> = new Map([
  [0, { pt: 0, name: 'PCMU', clockRate: 8000 }],
  [3, { pt: 3, name: 'GSM', clockRate: 8000 }],
  [4, { pt: 4, name: 'G723', clockRate: 8000 }],
  [5, { pt: 5, name: 'DVI4', clockRate: 8000 }],
  [6, { pt: 6, name: 'DVI4', clockRate: 16000 }],
  [7, { pt: 7, name: 'LPC', clockRate: 8000 }],
  [8, { pt: 8, name: 'PCMA', clockRate: 8000 }],
  [9, { pt: 9, name: 'G722', clockRate: 8000 }],
  [10, { pt: 10, name: 'L16', clockRate: 44100, channels: 2 }],
  [11, { pt: 11, name: 'L16', clockRate: 44100 }],
  [12, { pt: 12, name: 'QCELP', clockRate: 8000 }],
  [13, { pt: 13, name: 'CN', clockRate: 8000 }],
  [15, { pt: 15, name: 'G728', clockRate: 8000 }],
  [18, { pt: 18, name: 'G729', clockRate: 8000 }],
]);
