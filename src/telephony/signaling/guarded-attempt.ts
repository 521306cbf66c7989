import type { LegEvents, OutgoingAttempt } from '../../calls/index.ts';
import { InvalidStateError, newId } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { SendDestination } from '../../sip/index.ts';
import type { SipTargetVerdict } from './sip-target-guard.ts';

/** RFC 3261 §9.1: what a CANCELled INVITE ends with. */
const REQUEST_TERMINATED = 487;

/**
 * An outgoing attempt to a customer's SIP address that waits for the dial-time check of the
 * address (DNS included) before any INVITE: a refused address fails the attempt as `forbidden`
 * without a packet sent; an allowed one starts the real attempt towards the checked address.
 */
export class GuardedAttempt implements OutgoingAttempt {
  readonly #waitingLegId = newId();
  #inner: OutgoingAttempt | undefined;
  #cancelled = false;

  constructor(
    verdict: Promise<SipTargetVerdict>,
    start: (destination?: SendDestination) => OutgoingAttempt,
    events: LegEvents,
    logger: Logger,
  ) {
    verdict.then(
      (v) => {
        if (this.#cancelled) return events.failed({ kind: 'status', sip_status: REQUEST_TERMINATED });
        if (!v.allowed) {
          logger.warn({ reason: v.reason }, 'SIP destination refused: internal address');
          return events.failed({ kind: 'forbidden' });
        }
        this.#inner = start(v.destination);
      },
      (err: unknown) => {
        logger.warn({ err }, 'SIP destination could not be resolved');
        events.failed({ kind: 'transport' });
      },
    );
  }

  /** The real attempt's media leg once it started. */
  get leg_id(): string {
    return this.#inner?.leg_id ?? this.#waitingLegId;
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    await this.#inner?.cancel();
  }

  async bye(): Promise<void> {
    if (this.#inner) return this.#inner.bye();
    await this.cancel();
  }

  hold(): Promise<void> {
    return this.#established('hold').hold();
  }

  unhold(): Promise<void> {
    return this.#established('unhold').unhold();
  }

  #established(what: string): OutgoingAttempt {
    if (!this.#inner)
      throw new InvalidStateError(`${what}: leg ${this.leg_id} has no established dialog`, 'LEG_NOT_ESTABLISHED');
    return this.#inner;
  }
}
