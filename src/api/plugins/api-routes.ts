import websocket from '@fastify/websocket';
import type { ApiContext } from '../context.ts';
import { resourceRoutes } from '../routes/index.ts';
import { loginRoute } from '../routes/users.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * WebSocket upgrades for `GET /ws` (when the server has an event hub) and `GET /calls/{id}/media_stream`
 * (when it can tap calls). Registered before every
 * route, as the upgrade handling wraps each route registered after it: an upgrade to a route that
 * is not a WebSocket endpoint is closed.
 */
export function websocketPlugin(ctx: Pick<ApiContext, 'events' | 'calls'>) {
  return rootPlugin('callbin-websocket', async (app) => {
    if (ctx.events || ctx.calls?.mediaTap) await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  });
}

/** Every resource's handlers under `/v1.0` and again under its alias `/v1`. */
export function apiRoutesPlugin(ctx: ApiContext) {
  return rootPlugin('callbin-api-routes', async (app) => {
    await app.register(async (v) => resourceRoutes(v, ctx), { prefix: '/v1.0' });
    await app.register(async (v) => resourceRoutes(v, ctx), { prefix: '/v1' });
    // VoIPBIN serves its login at the root too (docs/voipbin-compatibility.md).
    await app.register(async (r) => loginRoute(r, ctx));
  });
}
