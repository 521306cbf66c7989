import Fastify, { type FastifyInstance } from 'fastify';
import { newId } from '../shared/index.ts';
import { Authenticator } from './auth.ts';
import type { ApiContext, ApiDeps } from './context.ts';
import { apiRoutesPlugin, websocketPlugin } from './plugins/api-routes.ts';
import { authenticationPlugin } from './plugins/authentication.ts';
import { envelopeServerOptions, errorEnvelopePlugin } from './plugins/error-envelope.ts';
import { healthMetricsPlugin } from './plugins/health-metrics.ts';
import { idempotencyPlugin } from './plugins/idempotency.ts';
import { jsonBodyPlugin } from './plugins/json-body.ts';
import { openapiPlugin } from './plugins/openapi.ts';
import { consolePagePlugin } from './console/console-plugin.ts';
import { phonePagePlugin } from './routes/phone.ts';
import { responseSchemasPlugin } from './plugins/response-schemas.ts';
import { schemaValidationPlugin } from './plugins/schema-validation.ts';

const BODY_LIMIT = 1024 * 1024;

/**
 * Time and connection bounds of the HTTP server, so a client that sends slowly (slowloris) or opens
 * sockets and says nothing cannot hold the server. Milliseconds.
 */
export interface HttpLimits {
  /** The request line and all headers must arrive within this (then 408). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (then 408). */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two request deadlines above. */
  checkIntervalMs: number;
  /** Open connections beyond this are refused. */
  maxConnections: number;
}

/** The limits of a production server; tests pass shorter ones. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  maxConnections: 10_000,
};

/**
 * Build the HTTP API (not listening): every route under `/v1.0` and its alias `/v1`. The plugins
 * are registered in the order of a request's life (docs/architecture.md "API"); each one's hooks
 * apply to the whole server, and every hook is in place before the first route is added.
 */
export async function buildServer(deps: ApiDeps, limits: Partial<HttpLimits> = {}): Promise<FastifyInstance> {
  const ctx: ApiContext = { ...deps, auth: new Authenticator(deps.store, deps.clock, deps.jwtSecret) };
  const lim = { ...DEFAULT_HTTP_LIMITS, ...limits };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    genReqId: () => newId(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
    connectionTimeout: lim.idleTimeoutMs,
    keepAliveTimeout: lim.keepAliveTimeoutMs,
    requestTimeout: lim.requestTimeoutMs,
    http: {
      headersTimeout: lim.headersTimeoutMs,
      requestTimeout: lim.requestTimeoutMs,
      connectionsCheckingInterval: lim.checkIntervalMs,
      requireHostHeader: false,
    },
    ...envelopeServerOptions,
  });
  app.server.maxConnections = lim.maxConnections;

  await app.register(errorEnvelopePlugin(deps.logger)); // any step's error, and unknown routes
  // Upgrades, before every route it wraps and before authentication: its onRequest hook marks an
  // upgrade request first, so an upgrade refused with 401 has its socket destroyed, not left open.
  await app.register(websocketPlugin(ctx));
  await app.register(authenticationPlugin(ctx)); // 1. onRequest: Host, credential, rate limit
  await app.register(jsonBodyPlugin()); // 1. body parsing: depth, forbidden keys
  await app.register(schemaValidationPlugin()); // 2. validation
  await app.register(idempotencyPlugin(ctx)); // 3. preHandler and onSend on POST routes
  await app.register(healthMetricsPlugin(deps)); // onResponse: request counts; /health, /metrics
  await app.register(openapiPlugin()); // /openapi.json, /docs
  await app.register(responseSchemasPlugin()); // the answers' schemas, before the first route
  await app.register(phonePagePlugin(deps)); // /phone: the softphone page, public
  await app.register(consolePagePlugin(deps)); // /console: the web console, public (it signs in by script)
  await app.register(apiRoutesPlugin(ctx)); // 4. handlers under /v1.0 and /v1
  return app;
}
