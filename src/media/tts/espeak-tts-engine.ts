import { AppError, ValidationError } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import { TELEPHONY_RATE_HZ, parseWav, resample, runProcess } from '../player/index.ts';
import type { ProcessErrorCodes, SpawnFn, WavAudio } from '../player/index.ts';
import { speakableText } from './ssml.ts';
import type { TtsEngine, TtsRequest, TtsVoice } from './tts-engine.ts';
import { listVoices, resolveVoice } from './voice-lookup.ts';

/** Options of {@link EspeakTtsEngine}. */
export interface EspeakTtsOptions {
  /** Executable name or path (default `espeak-ng`). */
  command?: string;
  /** Time limit of one synthesis (default 10 s). */
  timeoutMs?: number;
  /** Longest text accepted, in characters after SSML reduction (default 5000). */
  maxTextChars?: number;
  /** Longest speech accepted (default 10 minutes). */
  maxDurationSec?: number;
  /** Process spawner (injectable to count or fake runs). */
  spawn?: SpawnFn;
  clock?: Clock;
}

/** espeak-ng writes 22,050 Hz 16-bit mono WAV on --stdout. */
const ESPEAK_RATE_HZ = 22050;
const CODES: ProcessErrorCodes = {
  failed: 'TTS_FAILED',
  timeout: 'TTS_TIMEOUT',
  tooLarge: 'TTS_TOO_LARGE',
  aborted: 'TTS_ABORTED',
};

/**
 * Text-to-speech with the espeak-ng command-line tool, run as a separate process (it is GPL-3
 * and never linked): text on stdin, WAV on stdout, resampled to 8 kHz with a windowed-sinc low-pass.
 */
export class EspeakTtsEngine implements TtsEngine {
  readonly #opts: EspeakTtsOptions;

  constructor(opts: EspeakTtsOptions = {}) {
    this.#opts = opts;
  }

  /** Male, female and neutral voices for every language of the table. */
  voices(): TtsVoice[] {
    return listVoices();
  }

  /** Speaks `req.text` (SSML tags are removed, never spoken) as 8 kHz mono PCM. */
  async synthesize(req: TtsRequest): Promise<Int16Array> {
    const voice = resolveVoice(req.language, req.gender, req.voiceId);
    const text = speakableText(req.text);
    const maxChars = this.#opts.maxTextChars ?? 5000;
    if (text.length > maxChars)
      throw ValidationError.field(
        'text',
        'TEXT_TOO_LONG',
        `text is ${text.length} characters; at most ${maxChars} can be spoken`,
      );
    if (text === '') return new Int16Array(0);
    const out = await runProcess({
      command: this.#opts.command ?? 'espeak-ng',
      // -b 1: the input is UTF-8; text goes on stdin so its length never hits argv limits.
      args: ['-v', voice.espeakArg, '-b', '1', '--stdout'],
      stdin: text,
      timeoutMs: this.#opts.timeoutMs ?? 10_000,
      maxOutputBytes: 44 + (this.#opts.maxDurationSec ?? 600) * ESPEAK_RATE_HZ * 2,
      codes: CODES,
      ...(this.#opts.spawn ? { spawn: this.#opts.spawn } : {}),
      ...(this.#opts.clock ? { clock: this.#opts.clock } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    let wav: WavAudio;
    try {
      wav = parseWav(out.stdout);
    } catch (err) {
      throw new AppError('TTS_FAILED', `espeak-ng wrote no readable WAV for voice ${voice.espeakArg}`, { cause: err });
    }
    return resample(wav.samples, wav.sampleRate, TELEPHONY_RATE_HZ);
  }
}
