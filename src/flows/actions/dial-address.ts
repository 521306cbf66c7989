import { fullAddress } from '../../calls/index.ts';
import type { Address } from '../../calls/index.ts';
import type { ActionContext } from './action-definition.ts';

/** The caller id new calls get when the action names none: callbin's own side of the activeflow's call. */
export async function defaultSource(
  ctx: ActionContext,
  given: Partial<Address> | undefined,
  side: 'own' | 'caller',
): Promise<Address> {
  if (given !== undefined) return fullAddress(given);
  const call = ctx.callId === undefined ? undefined : await ctx.calls.get(ctx.callId);
  if (call === undefined) return fullAddress({});
  if (side === 'caller') return { ...call.source };
  return call.direction === 'incoming' ? { ...call.destination } : { ...call.source };
}
