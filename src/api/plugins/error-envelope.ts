import type { FastifyReply, FastifyServerOptions } from 'fastify';
import { newId } from '../../shared/index.ts';
import type { Logger } from '../../shared/index.ts';
import { ApiError, clientErrorResponse, errorEnvelope } from '../errors.ts';
import { redactText } from '../log-redaction.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * Server options that answer rejections before routing (bad percent-encoding, a path segment over
 * maxParamLength) and by Node's parser (malformed HTTP, headers over 16 KiB, a slow client) in the
 * error envelope too.
 */
export const envelopeServerOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors: (err, req, reply) => {
    const { statusCode, body } = errorEnvelope(err, req.id);
    void (reply as FastifyReply).code(statusCode).send(body);
  },
  clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) socket.end(clientErrorResponse(err, newId()));
    socket.destroySoon();
  },
};

/**
 * Every error of the request life and every unknown route answered in the envelope
 * `{error: {status, reason, message, request_id, details?}}`; only a 5xx is logged.
 */
export function errorEnvelopePlugin(logger: Logger) {
  return rootPlugin('callbin-error-envelope', (app) => {
    app.setErrorHandler((err, req, reply) => {
      const { statusCode, body } = errorEnvelope(err, req.id);
      if (statusCode >= 500)
        logger.error({ err, method: req.method, url: redactText(req.url), request_id: req.id }, 'request failed');
      const reason = body.error.reason;
      if (
        reason === 'RATE_LIMIT_EXCEEDED' ||
        reason === 'TOO_MANY_FAILED_ATTEMPTS' ||
        reason === 'OVERLOADED' ||
        reason === 'NODE_DRAINING'
      )
        reply.header('retry-after', String((err as ApiError & { retryAfterSec?: number }).retryAfterSec ?? 1));
      return reply.code(statusCode).send(body);
    });
    app.setNotFoundHandler((req, reply) => {
      const { statusCode, body } = errorEnvelope(
        new ApiError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.url.split('?')[0]}`),
        req.id,
      );
      return reply.code(statusCode).send(body);
    });
  });
}
