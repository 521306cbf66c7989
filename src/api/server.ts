import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TSchema } from 'typebox';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { newId } from '../shared/index.ts';
import { Authenticator, type Principal } from './auth.ts';
import type { ApiContext, ApiDeps } from './context.ts';
import { ApiError, clientErrorResponse, errorEnvelope } from './errors.ts';
import { registerIdempotency } from './idempotency.ts';
import { RateLimiter } from './rate-limiter.ts';
import { MAX_BODY_DEPTH, compileValidator, jsonDeeperThan } from './validation.ts';
import { redactText } from './log-redaction.ts';
import { resourceRoutes } from './routes/index.ts';

const BODY_LIMIT = 1024 * 1024;
const PUBLIC_PATHS = new Set(['/health', '/metrics', '/openapi.json', '/v1.0/auth/login', '/v1/auth/login']);

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

/** Build the HTTP API (not listening): every route under `/v1.0` and its alias `/v1`. */
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
    http: { headersTimeout: lim.headersTimeoutMs, requestTimeout: lim.requestTimeoutMs, connectionsCheckingInterval: lim.checkIntervalMs, requireHostHeader: false },
    // Rejections before routing (bad percent-encoding, a path segment over maxParamLength) and by
    // Node's parser (malformed HTTP, headers over 16 KiB, a slow client) use the error envelope too.
    frameworkErrors: (err, req, reply) => {
      const { statusCode, body } = errorEnvelope(err, req.id);
      void (reply as FastifyReply).code(statusCode).send(body);
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.end(clientErrorResponse(err, newId()));
      socket.destroySoon();
    },
  });
  app.server.maxConnections = lim.maxConnections;

  // JSON bodies are checked for nesting depth before they are parsed (400 BODY_TOO_DEEP), and a
  // `__proto__` or `constructor.prototype` key is a 400 FORBIDDEN_KEY, not MALFORMED_JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDeeperThan(text, MAX_BODY_DEPTH)) {
      done(new ApiError('INVALID_ARGUMENT', 'BODY_TOO_DEEP', `the body nests arrays and objects more than ${MAX_BODY_DEPTH} deep`), undefined);
      return;
    }
    parseJson(req, text, (err, value) => {
      if (err && text.length > 0 && isJson(text)) {
        done(new ApiError('INVALID_ARGUMENT', 'FORBIDDEN_KEY', 'the body has a "__proto__" or "constructor.prototype" key'), undefined);
      } else {
        done(err, value);
      }
    });
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
    if (statusCode >= 500) deps.logger.error({ err, method: req.method, url: redactText(req.url), request_id: req.id }, 'request failed');
    if (body.error.reason === 'RATE_LIMIT_EXCEEDED' || body.error.reason === 'TOO_MANY_FAILED_ATTEMPTS') reply.header('retry-after', String((err as ApiError & { retryAfterSec?: number }).retryAfterSec ?? 1));
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
  // Node answers an HTTP/1.1 request without Host itself, with an empty body (requireHostHeader is
  // off so that the envelope answers it here, RFC 9112 §3.2).
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) return done(new ApiError('INVALID_ARGUMENT', 'MISSING_HOST', 'an HTTP/1.1 request needs a Host header'));
    done();
  });
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

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
