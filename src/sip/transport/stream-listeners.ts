import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket as NetSocket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';
import type { Logger } from '../../shared/index.ts';
import type { ConnectionLimits } from './connection-limits.ts';
import type { ConnectionPool, TlsOptions } from './connection-pool.ts';

/** What the stream listeners hand accepted sockets to. */
export interface ListenerDeps {
  limits: ConnectionLimits;
  pool: ConnectionPool;
  logger: Logger;
}

// Every listener is a plain TCP server so that a socket is admitted under the connection caps
// before any byte of it is read, parsed or decrypted.

/** SIP over TCP: an admitted socket is a SIP connection at once. */
export function tcpListener(deps: ListenerDeps): NetServer {
  return createNetServer((socket) => {
    if (deps.limits.admit(socket, false)) deps.pool.adopt(socket, 'TCP');
  });
}

/** SIP over TLS: the handshake of an admitted socket must finish within the setup deadline. */
export function tlsListener(deps: ListenerDeps, tls: TlsOptions): NetServer {
  const secureContext = createSecureContext({ cert: tls.cert, key: tls.key });
  return createNetServer((socket) => {
    if (!deps.limits.admit(socket, true)) return;
    const secure = new TLSSocket(socket, { isServer: true, secureContext });
    secure.on('error', (err) => {
      deps.logger.debug({ err }, 'TLS handshake failed');
      socket.destroy();
    });
    secure.once('secure', () => {
      deps.limits.established(socket);
      deps.pool.adopt(secure, 'TLS');
    });
  });
}

/**
 * SIP over WebSocket (RFC 7118): admitted sockets are fed to an HTTP server that only upgrades;
 * the upgrade must finish within the setup deadline.
 */
export function wsListener(
  limits: ConnectionLimits,
  path: string | undefined,
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): NetServer {
  const http = createHttpServer((_req, res) => res.writeHead(426, { Upgrade: 'websocket' }).end());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const asked = (req.url ?? '/').split('?')[0];
    if (path !== undefined && asked !== path) return rejectUpgrade(socket, '404 Not Found');
    upgrade(req, socket, head);
  });
  return createNetServer((socket) => {
    if (limits.admit(socket, true)) http.emit('connection', socket);
  });
}

/**
 * SIP over secure WebSocket (RFC 7118 §3, `wss`): an admitted socket does its TLS handshake, then
 * the decrypted stream is fed to an upgrade-only HTTP server. The handshake and the upgrade
 * together must finish within the setup deadline; `upgrade` gets the admitted TCP socket too.
 */
export function wssListener(
  deps: Pick<ListenerDeps, 'limits' | 'logger'>,
  tls: TlsOptions,
  path: string | undefined,
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, admitted: NetSocket) => void,
): NetServer {
  const secureContext = createSecureContext({ cert: tls.cert, key: tls.key });
  const admittedOf = new WeakMap<Duplex, NetSocket>();
  const http = createHttpServer((_req, res) => res.writeHead(426, { Upgrade: 'websocket' }).end());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const admitted = admittedOf.get(req.socket);
    if (admitted === undefined) return socket.destroy();
    const asked = (req.url ?? '/').split('?')[0];
    if (path !== undefined && asked !== path) return rejectUpgrade(socket, '404 Not Found');
    upgrade(req, socket, head, admitted);
  });
  return createNetServer((socket) => {
    if (!deps.limits.admit(socket, true)) return;
    const secure = new TLSSocket(socket, { isServer: true, secureContext });
    admittedOf.set(secure, socket);
    secure.on('error', (err) => {
      deps.logger.debug({ err }, 'WSS connection failed');
      socket.destroy();
    });
    secure.once('secure', () => http.emit('connection', secure));
  });
}

/** Answer an upgrade request with an HTTP error and close. */
export function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
