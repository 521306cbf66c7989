import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TSchema } from 'typebox';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { newId } from '../shared/index.ts';
import { Authenticator, type Principal } from './auth.ts';
import type { ApiContext, ApiDeps } from './context.ts';
import { ApiError, errorEnvelope } from './errors.ts';
import { registerIdempotency } from './idempotency.ts';
import { RateLimiter } from './rate-limiter.ts';
import { compileValidator } from './validation.ts';
import { resourceRoutes } from './routes/index.ts';

const BODY_LIMIT = 1024 * 1024;
const PUBLIC_PATHS = new Set(['/health', '/metrics', '/openapi.json', '/v1.0/auth/login', '/v1/auth/login']);

/** Build the HTTP API (not listening): every route under `/v1.0` and its alias `/v1`. */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const ctx: ApiContext = { ...deps, auth: new Authenticator(deps.store, deps.clock, deps.jwtSecret) };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    genReqId: () => newId(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = compileValidator(schema as TSchema, '', httpPart !== 'body');
    return (data: unknown) => {
      try {
        return { value: validate(data) };
      } catch (error) {
        return { error: error as Error };
      }
    };
  });

  app.setErrorHandler((err, req, reply) => {
    const { statusCode, body } = errorEnvelope(err, req.id);
    if (statusCode >= 500) deps.logger.error({ err, url: req.url, request_id: req.id }, 'request failed');
    if (body.error.reason === 'RATE_LIMIT_EXCEEDED') reply.header('retry-after', String((err as ApiError & { retryAfterSec?: number }).retryAfterSec ?? 1));
    return reply.code(statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { statusCode, body } = errorEnvelope(new ApiError('NOT_FOUND', 'ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.url.split('?')[0]}`), req.id);
    return reply.code(statusCode).send(body);
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'callbin_' });
  // Counted in a plain map on the request path and turned into a Prometheus counter at scrape time.
  const counts = new Map<string, number>();
  new Counter({
    name: 'callbin_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [metrics],
    collect() {
      this.reset();
      for (const [k, n] of counts) {
        const [method = '', route = '', status = ''] = k.split(' ');
        this.inc({ method, route, status }, n);
      }
    },
  });
  app.addHook('onResponse', (req, reply, done) => {
    const k = `${req.method} ${req.routeOptions.url ?? 'unknown'} ${reply.statusCode}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    done();
  });

  const limiter = new RateLimiter({ ratePerSec: deps.rateLimitPerSec, burst: deps.rateLimitBurst, clock: deps.clock });
  const admit = (principal: Principal): void => {
    const wait = limiter.take(principal.credentialId);
    if (wait > 0) {
      const err = new ApiError('RESOURCE_EXHAUSTED', 'RATE_LIMIT_EXCEEDED', `too many requests; retry in ${wait} s`);
      throw Object.assign(err, { retryAfterSec: wait });
    }
  };
  // Callback-style so a request with a cached access key is admitted without a promise round trip.
  app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (PUBLIC_PATHS.has(path) || path.startsWith('/docs')) return done();
    try {
      const principal = ctx.auth.cached(req);
      if (principal) {
        req.principal = principal;
        admit(principal);
        return done();
      }
    } catch (err) {
      return done(err as Error);
    }
    ctx.auth.authenticate(req).then(
      (principal) => {
        req.principal = principal;
        admit(principal);
        done();
      },
    ).catch((err: unknown) => done(err as Error));
  });
  registerIdempotency(app, ctx);
  if (deps.events) await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'callbin API', version: '1.0', description: 'Programmable voice: calls, flows, numbers, extensions, providers, routes. VoIPBIN-compatible.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.addHook('onRoute', (route) => {
    // The /v1 alias serves the same handlers; document only the canonical /v1.0 prefix.
    if (route.url.startsWith('/v1/')) route.schema = { ...(route.schema ?? {}), hide: true };
  });

  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'STORE_UNREACHABLE' });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const extra = deps.metricsText ? await deps.metricsText() : '';
    reply.type(metrics.contentType);
    return (await metrics.metrics()) + extra;
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (v) => resourceRoutes(v, ctx), { prefix: '/v1.0' });
  await app.register(async (v) => resourceRoutes(v, ctx), { prefix: '/v1' });
  return app;
}
