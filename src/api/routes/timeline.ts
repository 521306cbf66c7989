import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ValidationError } from '../../shared/index.ts';
import { TimelineRepo, type TimelineListQuery } from '../../store/index.ts';
import { TIMELINE_KINDS, type TimelineEntry, type TimelineKind } from '../../timeline/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { PageQuery, pageSizeOf } from '../pagination.ts';
import { IdParams } from './crud.ts';
import type { TimelineSubject } from './timeline-deps.ts';

/** The query of every timeline read (docs/timeline.md "Reading a timeline"). */
const TimelineQuery = Type.Object(
  {
    ...PageQuery.properties,
    kinds: Type.Optional(
      Type.String({ maxLength: 200, description: `comma-separated kinds: ${TIMELINE_KINDS.join(', ')}` }),
    ),
    sip_text: Type.Optional(Type.Boolean({ description: 'include the whole text of each SIP message' })),
  },
  { additionalProperties: false },
);
type TimelineQueryT = Static<typeof TimelineQuery>;

const KIND_SET: ReadonlySet<string> = new Set(TIMELINE_KINDS);

/** The kinds of `?kinds=sip,flow`; 400 `INVALID_VALUE` on `kinds` for a kind callbin does not record. */
export function parseKinds(raw: string | undefined): TimelineKind[] {
  if (raw === undefined || raw.trim() === '') return [];
  const kinds = raw.split(',').map((k) => k.trim());
  for (const kind of kinds)
    if (!KIND_SET.has(kind))
      throw ValidationError.field('kinds', 'INVALID_VALUE', `"${kind}" is not one of ${TIMELINE_KINDS.join(', ')}`);
  return [...new Set(kinds)] as TimelineKind[];
}

/** An entry as served: a SIP message's whole text only when asked for. */
function shown(entry: TimelineEntry, sipText: boolean): TimelineEntry {
  if (sipText || entry.kind !== 'sip' || !('text' in entry.data)) return entry;
  const { text: _text, ...data } = entry.data;
  return { ...entry, data };
}

type Owner = Pick<TimelineListQuery, 'callId' | 'activeflowId' | 'conferenceId'>;
type Kind = TimelineSubject['kind'];

/** `GET /{calls,activeflows,conferences}/{id}/timeline`, scoped to the caller's customer. */
export function timelineRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const repo = new TimelineRepo(ctx.store);
  const serve =
    (kind: Kind, ownerOf: (id: string, customerId: string) => Promise<Owner>) => async (req: FastifyRequest) => {
      const customerId = principalOf(req).customerId;
      const { id } = req.params as { id: string };
      const q = req.query as TimelineQueryT;
      const kinds = parseKinds(q.kinds);
      // Tenancy first: another customer's subject is 404 before any node is asked to flush.
      const owner = await ownerOf(id, customerId);
      await ctx.timeline?.flush({ kind, id });
      const page = await repo.list({
        customerId,
        ...owner,
        kinds,
        limit: pageSizeOf(q),
        ...(q.page_token ? { pageToken: q.page_token } : {}),
      });
      return { result: page.items.map((e) => shown(e, q.sip_text === true)), next_page_token: page.next_page_token };
    };
  const schema = (tag: string) => ({ schema: { tags: [tag], params: IdParams, querystring: TimelineQuery } });

  // A call's timeline holds its activeflow's entries too (docs/timeline.md "Reading a timeline").
  app.get(
    '/calls/:id/timeline',
    schema('calls'),
    serve('call', async (id, customerId) => {
      const call = await ctx.store.calls.get(id, { customerId });
      if (!call) throw notFound('call', id);
      return { callId: call.id, activeflowId: call.activeflow_id };
    }),
  );
  app.get(
    '/activeflows/:id/timeline',
    schema('activeflows'),
    serve('activeflow', async (id, customerId) => {
      const activeflow = await ctx.store.activeflows.get(id, { customerId });
      if (!activeflow) throw notFound('activeflow', id);
      return { activeflowId: activeflow.id };
    }),
  );
  app.get(
    '/conferences/:id/timeline',
    schema('conferences'),
    serve('conference', async (id, customerId) => {
      const conference = await ctx.store.conferences.get(id, { customerId });
      if (!conference) throw notFound('conference', id);
      return { conferenceId: conference.id };
    }),
  );
}
