import { createHash } from 'node:crypto';
import { fullAddress } from '../calls/index.ts';
import type { Address } from '../calls/index.ts';
import type { Activeflow } from '../flows/index.ts';
import type { Clock } from '../shared/index.ts';

/** Milliseconds before the first word and per character spoken by `talk` (docs/testing-your-flows.md "Simulator"). */
export const SPEECH_LEAD_MS = 400;
export const SPEECH_MS_PER_CHAR = 60;
/** A `beep` lasts this long. */
export const BEEP_MS = 500;

/** How long `talk` speaks `text`: 400 ms plus 60 ms per character once SSML tags are removed and spaces collapsed. */
export function speechMs(text: string): number {
  const spoken = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return SPEECH_LEAD_MS + SPEECH_MS_PER_CHAR * spoken.length;
}

/** How long `play` plays one URL: 1,000 ms plus the first two bytes of the URL's SHA-256 modulo 9,000 ms (1–10 s). */
export function playMs(url: string): number {
  const digest = createHash('sha256').update(url).digest();
  return 1000 + (digest.readUInt16BE(0) % 9000);
}

/** A copy of an activeflow the engine cannot change afterwards. */
export function snapshotOf(af: Activeflow): Activeflow {
  return structuredClone(af);
}

/** A party of the simulated call: `+…` a phone number, `…@…` a SIP address, anything else an extension. */
export function addressOf(target: string): Address {
  const type = target.startsWith('+') ? 'tel' : target.includes('@') ? 'sip' : 'extension';
  return fullAddress({ type, target });
}

/** Waits `ms` of virtual time; rejects with the signal's reason when it aborts first. */
export function waitOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when the signal aborts (a wait only a hangup or a stop ends); rejects with its reason. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
