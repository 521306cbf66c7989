import type { Clock } from './clock.ts';

/** RFC 3339 UTC with milliseconds (`2026-01-01T00:00:00.000Z`): the timestamp form of the API and the store. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The clock's now as `isoTime`. */
export function isoNow(clock: Pick<Clock, 'now'>): string {
  return isoTime(clock.now());
}
