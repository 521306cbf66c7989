/** What answering-machine detection decided. */
export type AmdResult = 'HUMAN' | 'MACHINE' | 'NOTSURE';

/** Thresholds of the energy/cadence detector; times in milliseconds, energy as RMS of 16-bit samples. */
export interface AmdSettings {
  /** RMS above which a frame counts as voiced. */
  voiceRms: number;
  /** Silence shorter than this inside speech joins two words into one utterance. */
  maxWordGapMs: number;
  /** One continuous utterance longer than this is a recorded greeting. */
  machineUtteranceMs: number;
  /** A first utterance at most this long ("Hello?") … */
  humanUtteranceMs: number;
  /** … followed by this much silence is a person waiting for an answer. */
  humanSilenceMs: number;
  /** Analysis ends undecided after this much audio. */
  maxAnalysisMs: number;
}

/** Defaults tuned for 8 kHz telephone audio. */
export const DEFAULT_AMD_SETTINGS: AmdSettings = {
  voiceRms: 400,
  maxWordGapMs: 300,
  machineUtteranceMs: 2000,
  humanUtteranceMs: 1500,
  humanSilenceMs: 800,
  maxAnalysisMs: 5000,
};

/** Length of one frame of 8 kHz audio: 160 samples. */
const SAMPLE_RATE_HZ = 8000;

/** Root mean square of 16-bit samples. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

/**
 * Answering-machine detection over the first seconds of answered audio: an energy gate per frame,
 * then the cadence of utterances. A long continuous utterance is a greeting (MACHINE); a short one
 * followed by silence is a person (HUMAN); anything else by the end of the analysis is NOTSURE.
 */
export class AmdDetector {
  readonly #settings: AmdSettings;
  #elapsedMs = 0;
  #utteranceMs = 0;
  #silenceMs = 0;
  #utterances = 0;
  #firstUtteranceMs = 0;
  #result: AmdResult | undefined;

  constructor(settings: Partial<AmdSettings> = {}) {
    this.#settings = { ...DEFAULT_AMD_SETTINGS, ...settings };
  }

  /** The decision, once made. */
  get result(): AmdResult | undefined {
    return this.#result;
  }

  /** Feeds one frame of 8 kHz PCM; returns the decision once made. */
  push(frame: Int16Array): AmdResult | undefined {
    if (this.#result !== undefined) return this.#result;
    const frameMs = (frame.length * 1000) / SAMPLE_RATE_HZ;
    this.#elapsedMs += frameMs;
    if (rms(frame) >= this.#settings.voiceRms) this.#voiced(frameMs);
    else this.#silent(frameMs);
    if (this.#result === undefined && this.#elapsedMs >= this.#settings.maxAnalysisMs) this.#result = 'NOTSURE';
    return this.#result;
  }

  #voiced(frameMs: number): void {
    const s = this.#settings;
    if (this.#utteranceMs === 0 || this.#silenceMs >= s.maxWordGapMs) {
      this.#utterances += 1;
      this.#utteranceMs = 0;
    } else {
      this.#utteranceMs += this.#silenceMs;
    }
    this.#silenceMs = 0;
    this.#utteranceMs += frameMs;
    if (this.#utterances === 1) this.#firstUtteranceMs = this.#utteranceMs;
    if (this.#utteranceMs > s.machineUtteranceMs) this.#result = 'MACHINE';
  }

  #silent(frameMs: number): void {
    const s = this.#settings;
    this.#silenceMs += frameMs;
    const afterOneShortUtterance = this.#utterances === 1 && this.#firstUtteranceMs <= s.humanUtteranceMs;
    if (afterOneShortUtterance && this.#silenceMs >= s.humanSilenceMs) this.#result = 'HUMAN';
  }
}
