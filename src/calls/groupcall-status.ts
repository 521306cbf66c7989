import { isoTime } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import { shortGroupcallId } from './groupcall.ts';
import type { Groupcall, GroupcallStatus } from './groupcall.ts';

/**
 * The groupcall status machine as data (docs/api.md "Groupcalls"): a groupcall dials and connects in
 * `progressing`; a hangup asked for while calls are up passes through `hangingup` until the last
 * one ended; `hangup` is final.
 */
export const GROUPCALL_STATUS_TRANSITIONS = {
  progressing: ['hangingup', 'hangup'],
  hangingup: ['hangup'],
  hangup: [],
} as const satisfies Record<GroupcallStatus, readonly GroupcallStatus[]>;

/** True when the table allows `from -> to`. */
export function canMoveGroupcall(from: GroupcallStatus, to: GroupcallStatus): boolean {
  return (GROUPCALL_STATUS_TRANSITIONS[from] as readonly GroupcallStatus[]).includes(to);
}

/**
 * The only place a groupcall's status changes: checks the edge against the table and stamps
 * `tm_update`; a refused edge is logged by name and `undefined` is returned.
 */
export function moveGroupcall(
  gc: Groupcall,
  to: GroupcallStatus,
  ctx: { nowMs: number; logger: Logger },
): Groupcall | undefined {
  if (!canMoveGroupcall(gc.status, to)) {
    ctx.logger.warn(
      { groupcall_id: gc.id, from: gc.status, to },
      `groupcall ${shortGroupcallId(gc.id)}: ${gc.status} -> ${to} refused`,
    );
    return undefined;
  }
  return { ...gc, status: to, tm_update: isoTime(ctx.nowMs) };
}
