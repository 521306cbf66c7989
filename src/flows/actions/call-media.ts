import { InvalidStateError } from '../../shared/index.ts';
import type { ActionContext } from './action-definition.ts';

/** The id of the activeflow's call; the runner skips call actions without one, so this only guards. */
export function requireCall(ctx: ActionContext): string {
  if (ctx.callId === undefined) throw new InvalidStateError('this action needs a call', 'CALL_REQUIRED');
  return ctx.callId;
}

/** The call's id, after answering it when it is an incoming call not answered yet (audio needs an answered call). */
export async function answeredCall(ctx: ActionContext): Promise<string> {
  const callId = requireCall(ctx);
  const call = await ctx.calls.get(callId);
  if (call?.direction === 'incoming' && (call.status === 'ringing' || call.status === 'dialing'))
    await ctx.calls.answer(callId);
  return callId;
}
