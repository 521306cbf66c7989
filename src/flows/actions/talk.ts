import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { LANGUAGE_TAG_PATTERN } from './option-fields.ts';

/** `talk`: speak plain text or SSML; with `digits_handle: next` a DTMF stops it. */
export const talkAction = defineAction({
  type: 'talk',
  schema: Type.Object(
    {
      text: Type.String({ minLength: 1, maxLength: 10_000, description: 'plain text or SSML (<speak>…</speak>)' }),
      language: Type.Optional(
        Type.String({
          pattern: LANGUAGE_TAG_PATTERN,
          maxLength: 35,
          description: 'a BCP-47 language tag such as en-US',
          'x-reason': 'UNSUPPORTED_LANGUAGE',
          'x-check': 'language',
        }),
      ),
      gender: Type.Optional(Type.Enum(['male', 'female', 'neutral'], { description: 'voice gender' })),
      voice_id: Type.Optional(Type.String({ maxLength: 256, description: 'engine voice id' })),
      digits_handle: Type.Optional(Type.Enum(['', 'next'], { description: '"next": a DTMF digit stops the speech and moves on' })),
      async: Type.Optional(Type.Boolean({ description: 'move on at once instead of when spoken' })),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
});
