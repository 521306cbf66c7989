import { sameContact } from './contact-update.ts';
import type { RequestedContact } from './contact-update.ts';
import type { Binding } from './registrar-types.ts';

/** The binding writes one REGISTER leads to. */
export interface BindingPlan {
  /** Contacts to add or refresh, with their granted lifetime. */
  save: { contact: string; expiresSec: number }[];
  /** Stored contacts to remove. */
  remove: string[];
}

/** Call-ID and CSeq of the REGISTER being applied. */
export interface RegisterSequence {
  callId: string;
  cseq: number;
}

// RFC 3261 §10.3 step 7: a binding from the same Call-ID only changes for a higher CSeq, so a
// delayed or replayed REGISTER cannot undo a newer one.
function isStale(binding: Binding, seq: RegisterSequence): boolean {
  return binding.callId === seq.callId && seq.cseq <= binding.cseq;
}

/**
 * Plan the effect of a REGISTER on the current bindings (RFC 3261 §10.3 steps 7–8), or return
 * undefined when the whole update must be aborted because it is out of order.
 */
export function planBindingChanges(
  current: readonly Binding[],
  update: { kind: 'wildcard' } | { kind: 'contacts'; contacts: readonly RequestedContact[] },
  seq: RegisterSequence,
): BindingPlan | undefined {
  const plan: BindingPlan = { save: [], remove: [] };
  if (update.kind === 'wildcard') {
    for (const binding of current) {
      if (isStale(binding, seq)) return undefined;
      plan.remove.push(binding.contact);
    }
    return plan;
  }
  for (const requested of update.contacts) {
    const existing = current.find((b) => sameContact(b.contact, requested.contact));
    if (existing && isStale(existing, seq)) return undefined;
    // Refresh under the stored spelling so the (extension, contact) row is updated, not duplicated.
    const contact = existing?.contact ?? requested.contact;
    if (requested.expiresSec > 0) plan.save.push({ contact, expiresSec: requested.expiresSec });
    else if (existing) plan.remove.push(contact);
  }
  return plan;
}
