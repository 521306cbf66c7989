import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoNow, isoTime } from '../../shared/index.ts';
import type { ApiContext } from '../context.ts';
import { principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { withoutOneTimeSecrets } from '../credentials.ts';
import { rootPlugin } from './root-plugin.ts';

const KEY_HEADER = 'idempotency-key';
const TTL_MS = 24 * 3600 * 1000;
/** How long a reservation without a response is held for its request; after that a retry takes it over. */
const IN_FLIGHT_LEASE_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { credentialId: string; key: string };
  }
}

function requestHash(req: FastifyRequest): string {
  const path = req.url.split('?')[0] ?? '';
  return createHash('sha256')
    .update(`${req.method} ${path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
}

/**
 * `Idempotency-Key` on POST (docs/api.md): the first response is stored per credential and key and
 * replayed for 24 h; the same key with another body is 409. A key is reserved before the handler
 * runs, so two concurrent requests with one key cannot both act.
 */
export function idempotencyPlugin(ctx: ApiContext) {
  return rootPlugin('callbin-idempotency', (app) => registerIdempotency(app, ctx));
}

function registerIdempotency(app: FastifyInstance, ctx: ApiContext): void {
  // Only POST routes get the hooks, so reads pay nothing for idempotency.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    route.preHandler = [...asArray(route.preHandler), reserve];
    route.onSend = [...asArray(route.onSend), remember];
  });

  async function reserve(req: FastifyRequest, reply: FastifyReply) {
    const raw = req.headers[KEY_HEADER];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? (raw[0] ?? '') : raw;
    if (key.length === 0 || key.length > 255) {
      throw new ApiError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 characters');
    }
    const credentialId = principalOf(req).credentialId;
    const hash = requestHash(req);
    const record = {
      credential_id: credentialId,
      key,
      request_hash: hash,
      status_code: 0,
      response_body: '',
      tm_create: isoNow(ctx.clock),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await ctx.store.idempotency.put(record)) {
        req.idempotency = { credentialId, key };
        return;
      }
      const prior = await ctx.store.idempotency.get(credentialId, key);
      if (!prior) continue; // released between our put and get: try to reserve again
      if (Date.parse(prior.tm_create) < ctx.clock.now() - TTL_MS) {
        await ctx.store.idempotency.release(credentialId, key);
        continue;
      }
      if (prior.request_hash !== hash) {
        throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
      }
      if (prior.status_code === 0) {
        // A reservation no live process can own was left by a crash: the retry takes it over.
        if (await orphaned(prior.tm_create)) {
          if (await ctx.store.idempotency.takeOver(prior, record)) {
            req.idempotency = { credentialId, key };
            return;
          }
          continue;
        }
        throw new ApiError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still being processed');
      }
      reply.header('idempotent-replayed', 'true');
      reply.code(prior.status_code).type('application/json; charset=utf-8');
      return reply.send(prior.response_body);
    }
    throw new ApiError('IDEMPOTENCY_UNAVAILABLE', 'could not reserve the Idempotency-Key; retry');
  }

  /**
   * True when the reservation made at `tmCreate` has no owner any more: it is older than the
   * in-flight lease, or no process alive now had started by then (the one that made it is gone).
   */
  async function orphaned(tmCreate: string): Promise<boolean> {
    const nowMs = ctx.clock.now();
    if (Date.parse(tmCreate) < nowMs - IN_FLIGHT_LEASE_MS) return true;
    return !(await ctx.store.processes.aliveSince(tmCreate, isoTime(nowMs)));
  }

  async function remember(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const idem = req.idempotency;
    if (!idem) return payload;
    delete req.idempotency;
    // A server error is not an answer worth replaying: free the key so a retry can act.
    if (reply.statusCode >= 500) await ctx.store.idempotency.release(idem.credentialId, idem.key);
    // Stored without one-time secrets (an access key's token): a replay says `token_redacted`.
    else
      await ctx.store.idempotency.complete(
        idem.credentialId,
        idem.key,
        reply.statusCode,
        withoutOneTimeSecrets(typeof payload === 'string' ? payload : String(payload ?? '')),
      );
    return payload;
  }
}

function asArray<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
