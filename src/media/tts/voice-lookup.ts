import { ValidationError } from '../../shared/index.ts';
import type { TtsGender, TtsVoice } from './tts-engine.ts';
import { GENDER_VARIANTS, VOICE_TABLE } from './voices.ts';
import type { VoiceTableEntry } from './voices.ts';

/** A voice chosen for one request. */
export interface ResolvedVoice {
  entry: VoiceTableEntry;
  voice: TtsVoice;
  /** The `-v` argument for espeak-ng, e.g. `roa/pt-BR+f3`. */
  espeakArg: string;
}

/** Lower-cased tag or alias → entry. */
const BY_TAG = new Map<string, VoiceTableEntry>();
for (const entry of VOICE_TABLE) {
  for (const tag of [entry.language, ...entry.aliases]) BY_TAG.set(tag.toLowerCase(), entry);
}

/** The espeak `-v` argument for an entry and gender. */
function espeakArgFor(entry: VoiceTableEntry, gender: TtsGender): string {
  return gender === 'neutral' ? entry.espeakVoice : `${entry.espeakVoice}+${GENDER_VARIANTS[gender]}`;
}

/** The public voice description for an entry and gender. */
function voiceFor(entry: VoiceTableEntry, gender: TtsGender): TtsVoice {
  return {
    language: entry.language,
    gender,
    voice_id: `espeak-${entry.language}-${gender}`,
    name: `${entry.name}, ${gender}`,
  };
}

const BY_VOICE_ID = new Map<string, ResolvedVoice>();
for (const entry of VOICE_TABLE) {
  for (const gender of ['male', 'female', 'neutral'] as const) {
    const voice = voiceFor(entry, gender);
    BY_VOICE_ID.set(voice.voice_id, { entry, voice, espeakArg: espeakArgFor(entry, gender) });
  }
}

/**
 * The table entry for a BCP-47 tag: exact (case-insensitive, `_` read as `-`), else the
 * primary language subtag (`de-AT` → `de`), else undefined.
 */
export function findLanguage(language: string): VoiceTableEntry | undefined {
  const tag = language.trim().replaceAll('_', '-').toLowerCase();
  if (tag === '') return undefined;
  return BY_TAG.get(tag) ?? BY_TAG.get(tag.split('-')[0] as string);
}

/** True when `language` maps to a voice (for validating `talk` options). */
export function isSupportedLanguage(language: string): boolean {
  return typeof language === 'string' && findLanguage(language) !== undefined;
}

/** Every voice of the table: male, female and neutral for each language. */
export function listVoices(): TtsVoice[] {
  return [...BY_VOICE_ID.values()].map((r) => ({ ...r.voice }));
}

/**
 * Picks the voice for a request. Throws `ValidationError` with reason `UNSUPPORTED_LANGUAGE`
 * (field `language`) or `UNSUPPORTED_VOICE` (field `voice_id`).
 */
export function resolveVoice(language: string, gender: TtsGender, voiceId?: string): ResolvedVoice {
  if (voiceId !== undefined) {
    const byId = BY_VOICE_ID.get(voiceId);
    if (!byId) throw ValidationError.field('voice_id', 'UNSUPPORTED_VOICE', `voice "${voiceId}" is not available`);
    return byId;
  }
  const entry = findLanguage(language);
  if (!entry)
    throw ValidationError.field(
      'language',
      'UNSUPPORTED_LANGUAGE',
      `language "${language}" is not supported for text-to-speech`,
    );
  return { entry, voice: voiceFor(entry, gender), espeakArg: espeakArgFor(entry, gender) };
}
