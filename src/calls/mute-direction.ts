import type { MuteDirection } from './call.ts';

/** A mute request's direction (the API's `{direction}` body). */
export type MuteRequestDirection = Exclude<MuteDirection, ''>;

/** Every direction a mute request may name. */
export const MUTE_REQUEST_DIRECTIONS: readonly MuteRequestDirection[] = ['in', 'out', 'both'];

const PARTS: Readonly<Record<MuteDirection, readonly ('in' | 'out')[]>> = {
  '': [],
  in: ['in'],
  out: ['out'],
  both: ['in', 'out'],
};

function fromParts(hasIn: boolean, hasOut: boolean): MuteDirection {
  if (hasIn && hasOut) return 'both';
  if (hasIn) return 'in';
  return hasOut ? 'out' : '';
}

/** The mute state after muting `direction` on top of `current` (`in` + `out` = `both`). */
export function addMute(current: MuteDirection, direction: MuteRequestDirection): MuteDirection {
  const parts = new Set([...PARTS[current], ...PARTS[direction]]);
  return fromParts(parts.has('in'), parts.has('out'));
}

/** The mute state after unmuting `direction` from `current` (`both` - `in` = `out`). */
export function removeMute(current: MuteDirection, direction: MuteRequestDirection): MuteDirection {
  const removed = new Set(PARTS[direction]);
  const left = PARTS[current].filter((p) => !removed.has(p));
  return fromParts(left.includes('in'), left.includes('out'));
}
