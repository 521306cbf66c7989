import { NIL_UUID } from '../../shared/index.ts';
import type { ActionOutcome } from './action-definition.ts';

/** A jump to `id`, or `undefined` (move on as usual) when the reference is unset (`""` or the nil UUID). */
export function jumpTo(id: string | undefined): ActionOutcome {
  return id === undefined || id === '' || id === NIL_UUID ? undefined : { jump: id };
}
