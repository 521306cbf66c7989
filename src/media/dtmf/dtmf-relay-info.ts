import { ValidationError } from '../../shared/index.ts';
import { isDtmfDigits, type DtmfDigit, type DtmfEvent } from './telephone-event.ts';

const DEFAULT_INFO_DURATION_MS = 160;

function invalid(message: string): ValidationError {
  return ValidationError.field('body', 'INVALID_DTMF_INFO', message);
}

function toDigit(raw: string): DtmfDigit {
  const s = raw.trim().toUpperCase();
  // Some phones send event codes 10/11 for * and # in the Signal line.
  const mapped = s === '10' ? '*' : s === '11' ? '#' : s;
  if (mapped.length !== 1 || !isDtmfDigits(mapped)) throw invalid(`unknown DTMF signal ${JSON.stringify(raw)}`);
  return mapped as DtmfDigit;
}

/**
 * Reads the key press carried by a SIP INFO body: `application/dtmf-relay` (`Signal=5` and an
 * optional `Duration=160` line, in ms) or `application/dtmf` (the bare digit); throws ValidationError
 * for other content types or bodies without a DTMF signal.
 */
export function parseDtmfRelayInfo(body: string, contentType: string): DtmfEvent {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/dtmf') return { digit: toDigit(body), durationMs: DEFAULT_INFO_DURATION_MS };
  if (type !== 'application/dtmf-relay') throw invalid(`content type ${contentType} carries no DTMF`);
  let digit: DtmfDigit | undefined;
  let durationMs = DEFAULT_INFO_DURATION_MS;
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') digit = toDigit(value);
    else if (key === 'duration' && /^\d+$/.test(value)) durationMs = Number(value);
  }
  if (!digit) throw invalid('dtmf-relay body has no Signal line');
  return { digit, durationMs };
}
