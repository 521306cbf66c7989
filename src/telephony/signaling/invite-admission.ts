import { isRefusal } from '../../shared/index.ts';
import type { OverloadGuard } from '../../shared/index.ts';
import type { IncomingInvite } from '../../sip/index.ts';

/**
 * Admission of a new INVITE (docs/security.md "Overload"), before verification, number lookup or
 * any store work: over capacity, or while the node drains, it is answered 503 Service Unavailable
 * with Retry-After (RFC 3261 §21.5.4) and false is returned; otherwise it counts as a set-up until its final
 * response. Retransmissions never get here: the INVITE server transaction absorbs them and
 * repeats its last response (RFC 3261 §17.2.1).
 */
export function admitInvite(guard: Pick<OverloadGuard, 'admit'> | undefined, invite: IncomingInvite): boolean {
  if (!guard) return true;
  const admission = guard.admit();
  if (isRefusal(admission)) {
    if (invite.finalStatus === undefined)
      invite.reject(503, 'Service Unavailable', [['Retry-After', String(admission.retryAfterSec)]]);
    return false;
  }
  if (invite.finalStatus !== undefined) admission.release();
  else invite.on('final', () => admission.release());
  return true;
}
