import { createHash } from 'node:crypto';
import { NIL_UUID } from '../shared/index.ts';

const UUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Ids of one simulation from a seeded sequence: the nth id is a UUID (version 4 layout) made from
 * SHA-256 of the seed and n, so the same script gives the same ids (docs/testing-your-flows.md
 * "Simulator").
 */
export class SeededIds {
  readonly #seed: number;
  readonly #made = new Set<string>();
  readonly #renamed = new Map<string, string>();
  #n = 0;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** The next id of the sequence. */
  next(): string {
    this.#n += 1;
    const hex = createHash('sha256').update(`callbin-simulation:${this.#seed}:${this.#n}`).digest('hex');
    const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    this.#made.add(id);
    return id;
  }

  /**
   * The output with every UUID that is neither in `given` (the flow and script as sent) nor made by
   * this sequence (nor the nil UUID) replaced by the sequence's next id, in order of first appearance: ids the flow
   * engine draws at random (an activeflow's, an inline flow's, actions without one) become stable.
   */
  stabilize<T>(output: T, given: string): T {
    const known = new Set([NIL_UUID, ...(given.match(UUID_G) ?? []).map((id) => id.toLowerCase())]);
    const text = JSON.stringify(output).replace(UUID_G, (id) => {
      const lower = id.toLowerCase();
      if (known.has(lower) || this.#made.has(lower)) return id;
      let renamed = this.#renamed.get(lower);
      if (renamed === undefined) this.#renamed.set(lower, (renamed = this.next()));
      return renamed;
    });
    return JSON.parse(text) as T;
  }
}
