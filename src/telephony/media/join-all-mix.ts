import { FRAME_SAMPLES, Mixer } from '../../media/index.ts';
import type { AudioSink, AudioSource } from '../../media/index.ts';
import { AppError } from '../../shared/index.ts';
import type { CallMedia } from './call-media.ts';

/** What a join-all mix needs of the legs' media (CallMedia fits). */
export type JoinAllLegMedia = Pick<
  CallMedia,
  'audioOf' | 'setPeerSource' | 'bridge' | 'unbridge' | 'onDtmf' | 'sendDigits'
>;

/**
 * The latest mixed frame of one party. The mixer writes every party's slot at once; a read that
 * finds its slot already taken has the next mix made first, so the first party whose sender reads
 * in a media clock tick mixes that tick's frames (each leg's heard audio is the same for every
 * reader within a tick, docs/media.md "Jitter buffer") and the others take theirs.
 */
class MixSlot implements AudioSink, AudioSource {
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  readonly #mix: () => void;
  #fresh = false;

  constructor(mix: () => void) {
    this.#mix = mix;
  }

  write(frame: Int16Array): void {
    this.#frame.set(frame.subarray(0, FRAME_SAMPLES));
    this.#fresh = true;
  }

  read(frame: Int16Array): boolean {
    if (!this.#fresh) this.#mix();
    if (this.#fresh) frame.set(this.#frame.subarray(0, frame.length));
    else frame.fill(0);
    this.#fresh = false;
    return true;
  }
}

interface Party {
  readonly legId: string;
  slot?: MixSlot;
  offDtmf?: () => void;
}

/** Errors of legs that went away meanwhile (their calls ended): the rest of the parties go on. */
function ignoreGone(err: unknown): void {
  if (err instanceof AppError && err.code === 'MEDIA_LEG_NOT_FOUND') return;
  throw err;
}

/**
 * The parties of one `connect` with `ring_method: join_all` (docs/media.md "Join-all mixing"): two
 * parties are a plain bridge (relayed packet by packet where the codecs match); from three on,
 * each party hears the N−1 mix of the others (the conference {@link Mixer}), made on the media
 * clock as the legs read it, and DTMF a party sends is generated to the others. As parties leave
 * the shape follows: back to a bridge at two, nothing at one.
 */
export class JoinAllMix {
  readonly #media: JoinAllLegMedia;
  /** By party id (the call id), in the order they joined. */
  readonly #parties = new Map<string, Party>();
  #mixer: Mixer | undefined;
  /** The two legs bridged while there are exactly two parties. */
  #pair: readonly [string, string] | undefined;

  constructor(media: JoinAllLegMedia) {
    this.#media = media;
  }

  /** Party ids in the order they joined. */
  get parties(): readonly string[] {
    return [...this.#parties.keys()];
  }

  /** True while more than two parties hear a mix. */
  get mixing(): boolean {
    return this.#mixer !== undefined;
  }

  /** Adds a party (a no-op when it is in already). */
  async add(partyId: string, legId: string): Promise<void> {
    if (this.#parties.has(partyId)) return;
    this.#parties.set(partyId, { legId });
    await this.#reshape();
  }

  /** Takes a party out (a no-op when it is not in); the others go on hearing each other. */
  async remove(partyId: string): Promise<void> {
    const party = this.#parties.get(partyId);
    if (!party) return;
    this.#parties.delete(partyId);
    this.#leaveMix(party);
    await this.#reshape();
  }

  /** Takes every party out. */
  async close(): Promise<void> {
    for (const id of [...this.#parties.keys()]) await this.remove(id);
  }

  async #reshape(): Promise<void> {
    const parties = [...this.#parties.values()];
    const pair = parties.length === 2 ? ([parties[0]?.legId, parties[1]?.legId] as [string, string]) : undefined;
    const samePair = pair !== undefined && this.#pair?.[0] === pair[0] && this.#pair[1] === pair[1];
    if (this.#pair && !samePair) {
      const [a, b] = this.#pair;
      this.#pair = undefined;
      await this.#media.unbridge(a, b).catch(ignoreGone);
    }
    if (parties.length >= 3) {
      this.#mixer ??= new Mixer();
      for (const party of parties) if (!party.slot) this.#enterMix(party);
      return;
    }
    for (const party of parties) this.#leaveMix(party);
    this.#mixer?.close();
    this.#mixer = undefined;
    if (pair && !samePair) {
      await this.#media.bridge(pair[0], pair[1]).catch(ignoreGone);
      this.#pair = pair;
    }
  }

  #enterMix(party: Party): void {
    const mixer = this.#mixer;
    if (!mixer) return;
    const slot = new MixSlot(() => this.#mixer?.tick());
    mixer.join({ id: party.legId, source: this.#media.audioOf(party.legId), sink: slot });
    party.slot = slot;
    this.#media.setPeerSource(party.legId, slot);
    // docs/media.md "DTMF": digits reach every party that hears the sender (a mix carries no RFC 4733 packets).
    party.offDtmf = this.#media.onDtmf(party.legId, (event) => {
      for (const other of this.#parties.values()) {
        if (other === party || !other.slot) continue;
        this.#media
          .sendDigits(other.legId, { digits: event.digit, durationMs: event.durationMs, intervalMs: 0 })
          .catch(() => undefined);
      }
    });
  }

  #leaveMix(party: Party): void {
    if (!party.slot) return;
    this.#mixer?.leave(party.legId);
    party.offDtmf?.();
    delete party.offDtmf;
    delete party.slot;
    this.#media.setPeerSource(party.legId, undefined);
  }
}
