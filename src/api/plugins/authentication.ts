import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { RateLimiter } from '../rate-limiter.ts';
import { isConsolePath } from '../console/console-plugin.ts';
import { isPhonePath } from '../routes/phone.ts';
import { rootPlugin } from './root-plugin.ts';

const PUBLIC_PATHS = new Set([
  '/health',
  '/metrics',
  '/openapi.json',
  '/auth/login',
  '/v1.0/auth/login',
  '/v1/auth/login',
]);

/** What a frozen customer's credentials may still do: read their own customer (docs/api.md "Freezing a customer"). */
const FROZEN_READABLE = new Set(['/v1.0/customer', '/v1/customer']);

/** 403 `CUSTOMER_FROZEN` for a frozen customer's credential on anything but `GET /customer`. */
function refuseFrozen(principal: Principal, method: string, path: string): void {
  if (principal.frozen !== true || (method === 'GET' && FROZEN_READABLE.has(path))) return;
  throw new ApiError('CUSTOMER_FROZEN', 'the customer is frozen; the project admin can recover it');
}

/**
 * The `onRequest` step: a Host header on HTTP/1.1, then the credential (every path but the public
 * ones, `/docs` and `/phone`) and the per-credential token bucket (429 + Retry-After).
 */
export function authenticationPlugin(ctx: ApiContext) {
  return rootPlugin('callbin-authentication', (app) => {
    const limiter = new RateLimiter({ ratePerSec: ctx.rateLimitPerSec, burst: ctx.rateLimitBurst, clock: ctx.clock });
    const admit = (principal: Principal): void => {
      const wait = limiter.take(principal.credentialId);
      if (wait > 0) {
        const err = new ApiError('RATE_LIMIT_EXCEEDED', `too many requests; retry in ${wait} s`);
        throw Object.assign(err, { retryAfterSec: wait });
      }
    };
    // Node answers an HTTP/1.1 request without Host itself, with an empty body (requireHostHeader is
    // off so that the envelope answers it here, RFC 9112 §3.2).
    app.addHook('onRequest', (req, _reply, done) => {
      if (req.raw.httpVersion === '1.1' && req.headers.host === undefined)
        return done(new ApiError('MISSING_HOST', 'an HTTP/1.1 request needs a Host header'));
      done();
    });
    // Callback-style so a request with a cached access key is admitted without a promise round trip.
    app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      const q = req.url.indexOf('?');
      const path = q < 0 ? req.url : req.url.slice(0, q);
      if (PUBLIC_PATHS.has(path) || path.startsWith('/docs') || isPhonePath(path) || isConsolePath(path)) return done();
      try {
        const principal = ctx.auth.cached(req);
        if (principal) {
          req.principal = principal;
          admit(principal);
          refuseFrozen(principal, req.method, path);
          return done();
        }
      } catch (err) {
        return done(err as Error);
      }
      ctx.auth
        .authenticate(req)
        .then((principal) => {
          req.principal = principal;
          admit(principal);
          refuseFrozen(principal, req.method, path);
          done();
        })
        .catch((err: unknown) => done(err as Error));
    });
  });
}
