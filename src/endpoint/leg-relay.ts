import type { RelayBridge } from '../media/index.ts';
import type { LegOutput } from './leg-output.ts';
import { MediaEndpoint } from './media-endpoint.ts';

/** One side of a relayed bridge: the leg's endpoint and what it hears. */
export interface RelayLeg {
  readonly endpoint: MediaEndpoint;
  readonly output: LegOutput;
}

/** Packets relayed so far in each direction. */
export interface RelayCounts {
  aToB: number;
  bToA: number;
}

/**
 * Relays RTP between two bridged legs with the same codec, rewriting only the headers (docs/media.md
 * "Bridging"). A direction carries packets while its source may be heard (we take its media, not
 * muted `out`) and its target hears the peer (it takes our media, not muted `in`, no prompt, hold
 * music, hold, silence or outgoing digits); otherwise the target's LegOutput plays as usual, which
 * also covers legs whose codecs differ (decoded and re-encoded). The target's own audio pauses
 * while packets are relayed
 * to it, so exactly one stream reaches each phone. A direction that starts carrying again gets a
 * fresh RelayBridge, so its timestamps continue from the target's timeline (which advanced while
 * prompts or silence were sent) instead of jumping back.
 */
export class LegRelay {
  readonly #a: RelayLeg;
  readonly #b: RelayLeg;
  readonly #offs: (() => void)[];
  #bridge: RelayBridge | undefined;
  #aToB = false;
  #bToA = false;
  readonly #done: RelayCounts = { aToB: 0, bToA: 0 };
  #closed = false;

  constructor(a: RelayLeg, b: RelayLeg) {
    this.#a = a;
    this.#b = b;
    this.#offs = [
      a.endpoint.on('state', this.update),
      b.endpoint.on('state', this.update),
      a.endpoint.on('closed', () => this.close()),
      b.endpoint.on('closed', () => this.close()),
      a.output.onChange(this.update),
      b.output.onChange(this.update),
    ];
    this.update();
  }

  /** True while packets of `from` are relayed to the other leg. */
  carries(from: MediaEndpoint): boolean {
    return from === this.#a.endpoint ? this.#aToB : from === this.#b.endpoint && this.#bToA;
  }

  /** True while a RelayBridge is installed on the two RTP sessions. */
  get active(): boolean {
    return this.#bridge !== undefined;
  }

  /** Packets relayed so far, over every RelayBridge this relay used. */
  get forwarded(): RelayCounts {
    const bridge = this.#bridge;
    return {
      aToB: this.#done.aToB + (bridge?.aToB.forwarded ?? 0),
      bToA: this.#done.bToA + (bridge?.bToA.forwarded ?? 0),
    };
  }

  /** Re-reads both legs' state and switches each direction on or off. */
  readonly update = (): void => {
    if (this.#closed) return;
    const a = this.#a;
    const b = this.#b;
    const sameCodec = a.endpoint.codecName === b.endpoint.codecName;
    const aToB = sameCodec && carriesInto(a, b);
    const bToA = sameCodec && carriesInto(b, a);
    if (aToB === this.#aToB && bToA === this.#bToA) return;
    const starting = (aToB && !this.#aToB) || (bToA && !this.#bToA);
    if (!aToB && !bToA) this.#drop();
    else if (starting || !this.#bridge) {
      this.#drop();
      this.#bridge = MediaEndpoint.relayBridge(a.endpoint, b.endpoint);
    }
    this.#bridge?.aToB.setEnabled(aToB);
    this.#bridge?.bToA.setEnabled(bToA);
    this.#aToB = aToB;
    this.#bToA = bToA;
    b.endpoint.relayFrom(aToB ? a.endpoint : undefined);
    a.endpoint.relayFrom(bToA ? b.endpoint : undefined);
  };

  /** Removes the relay from both sessions and gives both legs their own audio back; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#drop();
    this.#aToB = false;
    this.#bToA = false;
    this.#a.endpoint.relayFrom(undefined);
    this.#b.endpoint.relayFrom(undefined);
  }

  #drop(): void {
    const bridge = this.#bridge;
    if (!bridge) return;
    this.#done.aToB += bridge.aToB.forwarded;
    this.#done.bToA += bridge.bToA.forwarded;
    bridge.close();
    this.#bridge = undefined;
  }
}

function carriesInto(from: RelayLeg, to: RelayLeg): boolean {
  return from.endpoint.relaySource && to.endpoint.relayTarget && to.output.hearsPeer;
}
