/**
 * The outgoing calls whose callee sends early media now, by call id (docs/media.md "Early media"):
 * the outgoing leg marks its call once it applied the SDP of a 183 Session Progress (RFC 3960 §3,
 * the gateway model), and clears the mark when the attempt is answered or its leg released.
 * `connect` with `early_media` follows the marks to bridge the caller before the callee answers.
 */
export class EarlyMediaCalls {
  /** call id -> the leg whose 183 carried the SDP. */
  readonly #legs = new Map<string, string>();
  readonly #listeners = new Map<string, Set<() => void>>();

  /** True while the call's current attempt has early media. */
  has(callId: string): boolean {
    return this.#legs.has(callId);
  }

  /** Leg `legId` of call `callId` applied a 183's SDP: its audio flows from now on; listeners hear of it once per leg. */
  started(callId: string, legId: string): void {
    if (this.#legs.get(callId) === legId) return;
    this.#legs.set(callId, legId);
    for (const listener of [...(this.#listeners.get(callId) ?? [])]) listener();
  }

  /** The leg was answered or released: no longer early (a newer attempt's mark is kept). */
  ended(callId: string, legId: string): void {
    if (this.#legs.get(callId) === legId) this.#legs.delete(callId);
  }

  /** Calls `listener` each time the call's early media starts; returns the function that removes it. */
  onStart(callId: string, listener: () => void): () => void {
    let set = this.#listeners.get(callId);
    if (!set) this.#listeners.set(callId, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.#listeners.get(callId);
      if (!current?.delete(listener) || current.size > 0) return;
      this.#listeners.delete(callId);
    };
  }
}
