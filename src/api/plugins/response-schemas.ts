import { errorResponsesOf, responseSchemaOf } from '../responses/index.ts';
import { rootPlugin } from './root-plugin.ts';

/** The path of a route below its API prefix (`/v1.0/calls/:id` → `/calls/:id`; root routes as they are). */
function pathBelowPrefix(url: string, prefix: string): string {
  return prefix !== '' && url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url;
}

/**
 * Response schemas (docs/api.md "Response schemas"): each API route without one of its own gets
 * the schemas of `responses/` for its method and path, and every route the error envelope of each
 * error status it can answer, so `/openapi.json` describes every answer.
 * Answers are still written by `JSON.stringify`: a schema documents an answer and never filters,
 * coerces or refuses what a handler sends.
 */
export function responseSchemasPlugin() {
  return rootPlugin('callbin-response-schemas', (app) => {
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    app.addHook('onRoute', (route) => {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
      const method = methods[0];
      if (methods.length !== 1 || method === undefined || route.url === '/openapi.json') return;
      const path = pathBelowPrefix(route.url, route.prefix ?? '');
      const own = route.schema?.response as Record<string, unknown> | undefined;
      // A route that declares its answers keeps them; the error envelopes are added beside.
      const response = own ? { ...errorResponsesOf(method, path), ...own } : responseSchemaOf(method, path);
      if (response) route.schema = { ...(route.schema ?? {}), response };
    });
  });
}
