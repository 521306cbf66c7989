/** Bounds of a {@link NonceCounts}. */
export interface NonceCountLimits {
  /** Nonces remembered at most. */
  maxNonces: number;
  /** nc values remembered per nonce; older (smaller) ones are refused once this many are newer. */
  window: number;
}

interface NonceRecord {
  expiresAtMs: number;
  issuedAtMs: number;
  seen: Set<number>;
  /** nc values at or below this are refused (they fell out of the window). */
  floor: number;
}

/**
 * The (nonce, nc) pairs already accepted (RFC 7616 §3.4 and §5.5, RFC 2617 §3.2.2: the same
 * nc-value seen twice for a nonce is a replay). A nonce is kept until it can no longer verify
 * (its issue time plus the nonce lifetime); requests without qop carry no nc and count as nc 0,
 * so such a nonce is good once. Memory is bounded: past `maxNonces` the oldest record goes, and
 * every nonce issued no later than an evicted one counts as used (the client gets a fresh one).
 */
export class NonceCounts {
  readonly #limits: NonceCountLimits;
  readonly #records = new Map<string, NonceRecord>();
  #evictedIssuedAtMs = -Infinity;

  constructor(limits: NonceCountLimits = { maxNonces: 100_000, window: 64 }) {
    this.#limits = limits;
  }

  /** Number of nonces remembered. */
  get size(): number {
    return this.#records.size;
  }

  /** Accept `nc` for `nonce` once; false when it was accepted before (a replay) or is too old to tell. */
  use(nonce: string, nc: number, issuedAtMs: number, expiresAtMs: number, nowMs: number): boolean {
    let record = this.#records.get(nonce);
    if (!record) {
      if (issuedAtMs <= this.#evictedIssuedAtMs) return false;
      this.#makeRoom(nowMs);
      record = { expiresAtMs, issuedAtMs, seen: new Set(), floor: -1 };
      this.#records.set(nonce, record);
    }
    if (nc <= record.floor || record.seen.has(nc)) return false;
    record.seen.add(nc);
    if (record.seen.size > this.#limits.window) {
      const smallest = Math.min(...record.seen);
      record.seen.delete(smallest);
      record.floor = Math.max(record.floor, smallest);
    }
    return true;
  }

  #makeRoom(nowMs: number): void {
    if (this.#records.size < this.#limits.maxNonces) return;
    for (const [nonce, record] of this.#records) if (record.expiresAtMs < nowMs) this.#records.delete(nonce);
    // Evict a batch, so a flood of new nonces does not pay for a full sweep on every request.
    const target = this.#limits.maxNonces - Math.max(1, Math.floor(this.#limits.maxNonces / 100));
    while (this.#records.size > target) {
      const [nonce, record] = this.#records.entries().next().value as [string, NonceRecord];
      this.#records.delete(nonce);
      this.#evictedIssuedAtMs = Math.max(this.#evictedIssuedAtMs, record.issuedAtMs);
    }
  }
}
