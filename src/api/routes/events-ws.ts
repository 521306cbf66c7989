import type { FastifyInstance } from 'fastify';
import { EventStreamSession } from '../../events/index.ts';
import { principalOf, type ApiContext } from '../context.ts';

/** `GET /ws`: the WebSocket event stream (docs/events.md), authenticated like every other route. */
export function eventStreamRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const hub = ctx.events;
  if (!hub) return;
  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket, req) => {
    const principal = principalOf(req);
    const lastEventId = (req.query as Record<string, unknown> | undefined)?.last_event_id;
    new EventStreamSession({
      socket,
      principal,
      hub,
      outbox: ctx.store.outbox,
      clock: ctx.clock,
      logger: ctx.logger,
      ...(typeof lastEventId === 'string' && lastEventId !== '' ? { lastEventId } : {}),
      ...(ctx.eventStreamLimits ? { limits: ctx.eventStreamLimits } : {}),
    });
  });
}
