import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { WebSocket } from 'ws';
import { InvalidStateError } from '../../shared/index.ts';
import type { ApiContext } from '../context.ts';
import { ownedCall } from './calls.ts';
import type { MediaTapOptions } from './calls-deps.ts';
import { IdParams } from './crud.ts';

/*
 * `GET /calls/{id}/media_stream` (docs/api.md "Media streams"): VoIPBIN's read-only listening socket.
 * Everything is checked before the upgrade, so a refusal is a plain HTTP answer: 404 for a call that
 * is not the caller's, 400 for a bad query, 409 when the call has no live leg on this node. The
 * socket then carries one binary frame per 20 ms until the call ends (close 1000); what the client
 * sends is ignored (a frame over the server's 64 KiB limit closes it 1009).
 */

/** Past this many bytes queued on the socket, frames are dropped rather than queued. */
export const MEDIA_STREAM_SEND_BUFFER_BYTES = 256 * 1024;
/** Most listening sockets one call may have at once on this node. */
export const MAX_LISTENERS_PER_CALL = 4;

const MediaStreamQuery = Type.Object(
  {
    accesskey: Type.Optional(Type.String()),
    token: Type.Optional(Type.String()),
    encapsulation: Type.Optional(Type.Enum(['rtp', 'sln'])),
    track: Type.Optional(Type.Enum(['in', 'out', 'both'])),
  },
  { additionalProperties: false },
);

/** One listening socket: frames go out while the socket is open and keeps up; the tap stops with it. */
class ListeningSocket {
  readonly #release: () => void;
  #socket: WebSocket | undefined;
  #stop: (() => void) | undefined;
  #ended = false;
  #closed = false;

  /** `release` frees the call's listener slot once the tap stopped. */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** The tap is running: `stop` ends it (at once when the socket already went away). */
  started(stop: () => void): void {
    this.#stop = stop;
    if (this.#closed) this.close();
  }

  /** The upgrade completed: frames go to `socket` from now on. */
  attach(socket: WebSocket): void {
    this.#socket = socket;
    socket.on('close', () => this.close());
    socket.on('message', () => undefined);
    if (this.#ended || this.#closed) socket.close(1000, 'call ended');
  }

  /** Sends one frame, or drops it while the upgrade is not complete or the client does not keep up. */
  frame(bytes: Buffer): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN || socket.bufferedAmount > MEDIA_STREAM_SEND_BUFFER_BYTES) return;
    // The tap may reuse its buffer, and a busy socket keeps what it was given until it is written.
    socket.send(Buffer.from(bytes), { binary: true });
  }

  /** The call ended: the socket closes normally. */
  ended(): void {
    this.#ended = true;
    this.#socket?.close(1000, 'call ended');
    this.close();
  }

  /** Stops the tap and frees the call's listener slot; idempotent. */
  close(): void {
    this.#closed = true;
    const stop = this.#stop;
    this.#stop = undefined;
    if (stop) {
      stop();
      this.#release();
    }
  }
}

/** `GET /calls/{id}/media_stream`, when the server handles WebSocket upgrades. */
export function mediaStreamRoutes(app: FastifyInstance, ctx: ApiContext): void {
  if (!app.hasDecorator('websocketServer')) return;
  const byRequest = new WeakMap<FastifyRequest, ListeningSocket>();
  const listeners = listenerCounts(ctx);

  const preHandler = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const { calls, call } = await ownedCall(ctx, req);
    if (call.status === 'hangup')
      throw new InvalidStateError(`call ${call.id} is already hung up`, 'CALL_ALREADY_HANGUP');
    const tap = calls.mediaTap;
    if (!tap) throw new InvalidStateError('listening to calls is not available on this server', 'CALL_STATE_INVALID');
    const count = listeners.get(call.id) ?? 0;
    if (count >= MAX_LISTENERS_PER_CALL)
      throw new InvalidStateError(`call ${call.id} has ${count} listening sockets already`, 'MEDIA_STREAM_LIMIT');
    const q = req.query as Static<typeof MediaStreamQuery>;
    const options: MediaTapOptions = { encapsulation: q.encapsulation ?? 'rtp', track: q.track ?? 'in' };
    const release = () => {
      const left = (listeners.get(call.id) ?? 1) - 1;
      if (left > 0) listeners.set(call.id, left);
      else listeners.delete(call.id);
    };
    const listening = new ListeningSocket(release);
    const stop = tap.listen(
      call.id,
      call.customer_id,
      options,
      (bytes) => listening.frame(bytes),
      () => listening.ended(),
    );
    if (!stop) {
      throw new InvalidStateError(
        `call ${call.id} has no live media on this node; the socket must reach the node that owns the call`,
        'CALL_STATE_INVALID',
      );
    }
    listeners.set(call.id, count + 1);
    listening.started(stop);
    byRequest.set(req, listening);
    // An upgrade that never completes (the client went away, a bad handshake) still stops the tap.
    req.raw.socket?.once('close', () => listening.close());
  };

  app.get(
    '/calls/:id/media_stream',
    { websocket: true, preHandler, schema: { params: IdParams, querystring: MediaStreamQuery } },
    (socket, req) => {
      const listening = byRequest.get(req);
      if (listening) listening.attach(socket);
      else socket.close(1011, 'no media');
    },
  );
}

const countsByServer = new WeakMap<ApiContext, Map<string, number>>();

/** The listening sockets per call of one server (shared by the `/v1.0` and `/v1` registrations). */
function listenerCounts(ctx: ApiContext): Map<string, number> {
  let counts = countsByServer.get(ctx);
  if (!counts) countsByServer.set(ctx, (counts = new Map()));
  return counts;
}
