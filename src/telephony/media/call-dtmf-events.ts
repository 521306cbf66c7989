import { DtmfEventBudget, dtmfReceived } from '../../calls/index.ts';
import type { DtmfReceived } from '../../calls/index.ts';
import type { MediaDtmfEvent } from '../../endpoint/index.ts';
import { silentLogger, type Clock, type Logger } from '../../shared/index.ts';

/** What {@link CallDtmfEvents} is built from. */
export interface CallDtmfEventsOptions {
  /** The customer of a call (live or stored), undefined when unknown. */
  customerOf(callId: string): Promise<string | undefined>;
  /** Writes the `dtmf_received` event to the outbox; resolves once committed. */
  publish(event: DtmfReceived): Promise<void>;
  clock: Clock;
  logger?: Logger;
  /** Events per call per second (default `DTMF_EVENTS_PER_SECOND`). */
  perSecond?: number;
}

/**
 * `dtmf_received` for every digit a call's leg receives (docs/events.md "Event types"): the media
 * endpoint reports each key press once (RFC 4733 end packets are repeated, SIP INFO is one
 * request), this writes one event per digit through the outbox, in the order they arrived, within
 * the per-call budget (DtmfEventBudget); digits over it are counted, logged and dropped. Nothing
 * here throws into the media path.
 */
export class CallDtmfEvents {
  readonly #o: CallDtmfEventsOptions;
  readonly #logger: Logger;
  readonly #budget: DtmfEventBudget;
  /** Per call, the chain of its events being written, so they are written in arrival order. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(options: CallDtmfEventsOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#budget = new DtmfEventBudget(options.clock, options.perSecond);
  }

  /** Digits dropped over the budget since start, over every call. */
  get dropped(): number {
    return this.#budget.droppedTotal;
  }

  /** Call `callId` received `event`; its event is written in the background. */
  received(callId: string, event: Pick<MediaDtmfEvent, 'digit' | 'durationMs'>): void {
    if (!this.#budget.take(callId)) {
      if (this.#budget.dropped(callId) === 1)
        this.#logger.warn({ call_id: callId }, 'digits over the dtmf_received budget of the call are dropped');
      return;
    }
    // Stamped now, as it arrived; the customer is filled in when written.
    const data = dtmfReceived(this.#o.clock, { id: callId, customer_id: '' }, event);
    const previous = this.#chains.get(callId) ?? Promise.resolve();
    const next = previous.then(() => this.#write(data));
    this.#chains.set(callId, next);
    void next.then(() => {
      if (this.#chains.get(callId) === next) this.#chains.delete(callId);
    });
  }

  /** The call ended: its budget is forgotten (and its dropped digits logged). */
  forget(callId: string): void {
    const dropped = this.#budget.forget(callId);
    if (dropped > 0)
      this.#logger.warn({ call_id: callId, dropped }, 'digits over the dtmf_received budget were dropped');
  }

  /** Resolves once every event received so far was written (or failed and was logged). */
  async whenIdle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  async #write(data: DtmfReceived): Promise<void> {
    try {
      const customerId = await this.#o.customerOf(data.call_id);
      if (customerId === undefined) return;
      await this.#o.publish({ ...data, customer_id: customerId });
    } catch (err) {
      this.#logger.error({ err, call_id: data.call_id }, 'a dtmf_received event could not be written');
    }
  }
}
