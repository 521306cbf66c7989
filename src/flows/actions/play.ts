import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { httpUrl } from './option-fields.ts';
import { answeredCall } from './call-media.ts';

/**
 * A URL to play: http(s) only, refused at create time as `INVALID_MEDIA_URL` otherwise; a path or
 * `file:` would read the server's own files (docs/security.md).
 */
const MediaUrl = Type.Unsafe<string>({ ...httpUrl('audio file'), 'x-reason': 'INVALID_MEDIA_URL' });

/** `play`: play each URL in turn (wav/mp3/ogg), then move on. */
export const playAction = defineAction({
  type: 'play',
  schema: Type.Object(
    { stream_urls: Type.Array(MediaUrl, { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    await ctx.calls.play(await answeredCall(ctx), option.stream_urls, signal);
    return undefined;
  },
});
