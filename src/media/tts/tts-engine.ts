/** Voice gender requested by the `talk` action. */
export type TtsGender = 'male' | 'female' | 'neutral';

/** One voice an engine offers (API field names are snake_case at the boundary). */
export interface TtsVoice {
  /** BCP-47 tag, e.g. `fr-BE`. */
  language: string;
  gender: TtsGender;
  /** Stable id accepted back in {@link TtsRequest.voiceId}. */
  voice_id: string;
  /** Human-readable name. */
  name: string;
}

/** What to say and how. */
export interface TtsRequest {
  /** Plain text, or SSML when it starts with `<speak`. */
  text: string;
  /** BCP-47 language tag (case-insensitive). */
  language: string;
  gender: TtsGender;
  /** A `voice_id` from {@link TtsEngine.voices}, overriding language and gender. */
  voiceId?: string;
  signal?: AbortSignal;
}

/** A text-to-speech engine; espeak-ng is the built-in one, a cloud engine can implement the same. */
export interface TtsEngine {
  /** Speech as 8 kHz mono 16-bit PCM. */
  synthesize(req: TtsRequest): Promise<Int16Array>;
  /** Every voice the engine can use. */
  voices(): TtsVoice[];
}
