import { ValidationError } from '../../shared/index.ts';

/*
 * RFC 4733 §2.3 telephone-event payload:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** A DTMF key as the API spells it. */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** One key press as surfaced to callers. */
export interface DtmfEvent {
  digit: DtmfDigit;
  durationMs: number;
}

/** The default dynamic payload type for telephone-event in our SDP. */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** RFC 4733 §3.2: event codes 0–15 are the DTMF keys; other codes have no digit. */
export function digitOfEvent(code: number): DtmfDigit | undefined {
  return DIGITS[code];
}

/** Event code of a DTMF digit; throws ValidationError for anything else. */
export function eventOfDigit(digit: string): number {
  const code = DIGITS.indexOf(digit.toUpperCase() as DtmfDigit);
  if (code < 0) throw ValidationError.field('digits', 'INVALID_DTMF', `${JSON.stringify(digit)} is not a DTMF digit`);
  return code;
}

/** True when every character of `digits` is a DTMF key. */
export function isDtmfDigits(digits: string): boolean {
  return /^[0-9*#A-Da-d]*$/.test(digits);
}

/** A decoded telephone-event payload. */
export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  /** Duration in RTP timestamp units (8 kHz). */
  duration: number;
}

/** Reads a telephone-event payload; returns undefined when shorter than 4 bytes. */
export function readTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  const b1 = payload[1] as number;
  return {
    event: payload[0] as number,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: ((payload[2] as number) << 8) | (payload[3] as number),
  };
}

/** Writes a telephone-event payload into a new 4-byte array. */
export function writeTelephoneEvent(event: TelephoneEvent): Uint8Array {
  const duration = Math.min(event.duration, 0xffff);
  return Uint8Array.from([event.event, (event.end ? 0x80 : 0) | (event.volume & 0x3f), duration >> 8, duration & 0xff]);
}
