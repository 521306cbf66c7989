import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { LANGUAGE_TAG_PATTERN } from './option-fields.ts';
import type { SpeechRequest } from '../ports.ts';
import { linkedController } from '../wait.ts';
import type { ActionContext } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/** The language spoken when `talk` names none. */
const DEFAULT_LANGUAGE = 'en-US';

/** Speaks until done or until a DTMF digit arrives; the digit stays for the next action. */
async function talkUntilDigit(
  ctx: ActionContext,
  callId: string,
  request: SpeechRequest,
  signal: AbortSignal,
): Promise<void> {
  const { controller, dispose } = linkedController(signal);
  const speaking = ctx.calls.talk(callId, request, controller.signal);
  const digit = ctx.digits.peek(controller.signal);
  // The loser of the race rejects with the abort below; that rejection is expected.
  speaking.catch(() => undefined);
  digit.catch(() => undefined);
  try {
    await Promise.race([speaking, digit]);
  } finally {
    controller.abort();
    dispose();
  }
}

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
      provider: Type.Optional(
        Type.String({
          maxLength: 64,
          description: 'TTS provider: accepted and ignored, callbin speaks with its one engine',
        }),
      ),
      digits_handle: Type.Optional(
        Type.Enum(['', 'next'], { description: '"next": a DTMF digit stops the speech and moves on' }),
      ),
      async: Type.Optional(Type.Boolean({ description: 'move on at once instead of when spoken' })),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const callId = await answeredCall(ctx);
    const request: SpeechRequest = {
      text: option.text,
      language: option.language ?? DEFAULT_LANGUAGE,
      ...(option.gender !== undefined ? { gender: option.gender } : {}),
      ...(option.voice_id !== undefined ? { voice_id: option.voice_id } : {}),
    };
    if (option.async === true) ctx.background('talk', (flowSignal) => ctx.calls.talk(callId, request, flowSignal));
    else if (option.digits_handle === 'next') await talkUntilDigit(ctx, callId, request, signal);
    else await ctx.calls.talk(callId, request, signal);
    return undefined;
  },
});
