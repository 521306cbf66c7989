import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiContext } from '../context.ts';
import { ValidationError } from '../../shared/index.ts';
import { PageQuery, pageSizeOf } from '../pagination.ts';

const VoiceQuery = Type.Object(
  {
    ...PageQuery.properties,
    language: Type.Optional(Type.String({ maxLength: 35 })),
    gender: Type.Optional(Type.Union([Type.Literal('male'), Type.Literal('female'), Type.Literal('neutral')])),
  },
  { additionalProperties: false },
);

/** `GET /tts/voices`: every voice the TTS engine speaks, filterable by language prefix and gender. */
export function ttsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/tts/voices', { schema: { tags: ['tts'], querystring: VoiceQuery } }, async (req) => {
    const q = req.query as { page_size?: number; page_token?: string; language?: string; gender?: string };
    const lang = q.language?.toLowerCase();
    const voices = (ctx.ttsVoices?.() ?? []).filter(
      (v) =>
        (!lang || v.language.toLowerCase() === lang || v.language.toLowerCase().startsWith(`${lang}-`)) &&
        (!q.gender || v.gender === q.gender),
    );
    // A static list: the page token is the offset.
    const offset = q.page_token ? Number.parseInt(q.page_token, 10) : 0;
    if (!Number.isInteger(offset) || offset < 0 || String(offset) !== (q.page_token || '0')) {
      throw ValidationError.field('page_token', 'INVALID_PAGE_TOKEN', 'is not a token this list returned');
    }
    const size = pageSizeOf(q);
    const page = voices.slice(offset, offset + size);
    return { result: page, next_page_token: offset + size < voices.length ? String(offset + size) : '' };
  });
}
