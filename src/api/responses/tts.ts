import { Type } from 'typebox';
import { listOf, obj } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** A voice of the TTS engine. */
export const Voice = obj(
  {
    language: Type.String({ description: 'BCP-47 tag' }),
    gender: Type.String({ description: 'male, female or neutral' }),
    voice_id: Type.String(),
    name: Type.String(),
  },
  'a TTS voice',
);

/** `/tts`. */
export const ttsResponses: ResponseMap = {
  'GET /tts/voices': listOf(Voice, 'a page of voices'),
};
