import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { rootPlugin } from './root-plugin.ts';

/** `/openapi.json` and the `/docs` UI, describing the routes under `/v1.0` (the `/v1` alias is hidden). */
export function openapiPlugin() {
  return rootPlugin('callbin-openapi', async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'callbin API',
          version: '1.0',
          description: 'Programmable voice: calls, flows, numbers, extensions, providers, routes. VoIPBIN-compatible.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.addHook('onRoute', (route) => {
      // The /v1 alias serves the same handlers; document only the canonical /v1.0 prefix.
      if (route.url.startsWith('/v1/')) route.schema = { ...(route.schema ?? {}), hide: true };
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });
}
