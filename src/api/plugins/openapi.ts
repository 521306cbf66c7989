import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { eventStreamOperation, mediaStreamOperation } from '../responses/websockets.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * A schema in OpenAPI 3.0's dialect: `anyOf` with `{type: 'null'}` becomes `nullable: true` on the
 * other member (3.0 has no `null` type); `additionalProperties: true` beside `properties` is left
 * out (the default). Returns a new value; `node` is left as it is.
 */
export function toOpenapi30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenapi30);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toOpenapi30(v);
  // Open is JSON Schema's default: said aloud on an object that lists its fields, it would give each
  // generated client type an index signature that hides a misspelt field.
  if (out.properties !== undefined && out.additionalProperties === true) delete out.additionalProperties;
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf)) {
    const isNull = (s: unknown) => (s as { type?: unknown } | null)?.type === 'null';
    const rest = anyOf.filter((s) => !isNull(s));
    if (rest.length < anyOf.length) {
      const { anyOf: _anyOf, ...others } = out;
      return rest.length === 1
        ? { ...others, ...(rest[0] as object), nullable: true }
        : { ...others, anyOf: rest, nullable: true };
    }
  }
  return out;
}

/**
 * `/openapi.json` and the `/docs` UI, describing the routes under `/v1.0` (the `/v1` alias is
 * hidden) with their answers (docs/api.md "Response schemas") and the two WebSocket endpoints.
 */
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
      transformObject: (documentObject) => {
        const source = (documentObject as { openapiObject: object }).openapiObject;
        const doc = toOpenapi30(source) as { paths?: Record<string, Record<string, unknown>> };
        // @fastify/websocket hides upgrade routes from the document: they are described here.
        doc.paths = {
          ...doc.paths,
          '/v1.0/ws': { get: eventStreamOperation },
          '/v1.0/calls/{id}/media_stream': { get: mediaStreamOperation },
        };
        return toOpenapi30(doc) as never;
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
