import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import {
  buildServer,
  DEFAULT_HTTP_LIMITS,
  ensureProjectAdmin,
  redactingLoggerOptions,
  type HttpLimits,
} from '../../src/api/index.ts';
import { silentLogger, systemClock, type Logger } from '../../src/shared/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';

interface Served {
  app: FastifyInstance;
  store: Store;
  port: number;
  key: string;
  close(): Promise<void>;
}

async function serve(
  limits: Partial<HttpLimits>,
  logger: Logger = silentLogger,
  extra?: (app: FastifyInstance) => void,
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-limits-'));
  const store = await openStore({ dataDir: dir });
  const admin = await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
  const app = await buildServer(
    {
      store,
      clock: systemClock,
      logger,
      jwtSecret: randomBytes(32),
      sipDomain: 'sip.test',
      mode: 'local',
      rateLimitPerSec: 1000,
      rateLimitBurst: 1000,
    },
    limits,
  );
  extra?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    store,
    port: (app.server.address() as AddressInfo).port,
    key: admin?.accessKey ?? '',
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a connection, runs `feed` on it, and resolves with what the server sent and after how long it closed. */
function hold(port: number, feed: (s: Socket) => void): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, ms: performance.now() - t0 }));
    feed(socket);
  });
}

/** Writes `line` every 200 ms while the socket is open: a slowloris. */
function trickle(socket: Socket, first: string, line: string): void {
  socket.write(first);
  const timer = setInterval(() => socket.writable && socket.write(line), 200);
  socket.on('close', () => clearInterval(timer));
}

describe('security: HTTP time and connection limits', () => {
  let s: Served;
  before(async () => {
    s = await serve({
      headersTimeoutMs: 1_000,
      requestTimeoutMs: 2_000,
      idleTimeoutMs: 3_000,
      keepAliveTimeoutMs: 1_000,
      checkIntervalMs: 200,
      maxConnections: 4,
    });
  });
  after(async () => s.close());

  it('the production server has bounded timeouts and a connection cap', async () => {
    const d = await serve({});
    try {
      assert.equal(d.app.server.headersTimeout, DEFAULT_HTTP_LIMITS.headersTimeoutMs);
      assert.equal(d.app.server.requestTimeout, DEFAULT_HTTP_LIMITS.requestTimeoutMs);
      assert.equal(d.app.server.keepAliveTimeout, DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs);
      assert.equal(d.app.server.timeout, DEFAULT_HTTP_LIMITS.idleTimeoutMs);
      assert.equal(d.app.server.maxConnections, DEFAULT_HTTP_LIMITS.maxConnections);
      assert.ok(
        DEFAULT_HTTP_LIMITS.headersTimeoutMs <= 30_000 &&
          DEFAULT_HTTP_LIMITS.requestTimeoutMs <= 60_000 &&
          DEFAULT_HTTP_LIMITS.idleTimeoutMs <= 120_000,
      );
    } finally {
      await d.close();
    }
  });

  it('a client that sends headers slowly, or nothing, gets 408 REQUEST_TIMEOUT and is disconnected', async () => {
    const [slow, silent] = await Promise.all([
      hold(s.port, (sock) => trickle(sock, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-A: b\r\n')),
      hold(s.port, () => {}),
    ]);
    for (const r of [slow, silent]) {
      assert.match(r.text, /^HTTP\/1\.1 408 /);
      assert.equal(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.reason, 'REQUEST_TIMEOUT');
      assert.ok(r.ms < 10_000, `closed after ${r.ms} ms`);
    }
  });

  it('a body sent slowly is cut at the request timeout', async () => {
    const r = await hold(s.port, (sock) =>
      trickle(
        sock,
        `POST /v1.0/flows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
        ' ',
      ),
    );
    assert.match(r.text, /^HTTP\/1\.1 408 /);
    assert.ok(r.ms < 10_000, `closed after ${r.ms} ms`);
  });

  it('connections beyond the cap are refused, and the server answers once they go', async () => {
    const held = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<Socket>((resolve) => {
            const sock = connect(s.port, '127.0.0.1', () => resolve(sock));
            sock.on('error', () => {});
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const refused = await hold(s.port, (sock) => sock.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(refused.text, '');
    for (const sock of held) sock.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/health`)).status, 200);
  });
});

describe('security: a 5xx is logged without the credential of its URL', () => {
  it('the error log of a failing request shows neither ?accesskey= nor ?token=, through the server and through the redacting pino', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = pino({ level: 'debug', ...redactingLoggerOptions() }, sink) as unknown as Logger;
    const s = await serve({}, logger, (app) => {
      // A handler that fails the way a real fault would: its error quotes the URL it was given.
      app.get('/v1.0/boom', async (req) => {
        throw new Error(`fault while serving ${req.url} for ${String(req.headers.authorization)}`);
      });
    });
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/v1.0/boom?accesskey=${s.key}&token=tokenSecretZZZZ`);
      assert.equal(res.status, 500);
      const res2 = await fetch(`http://127.0.0.1:${s.port}/v1.0/boom`, {
        headers: { authorization: `Bearer ${s.key}`, cookie: 'token=cookieSecretYYYY' },
      });
      assert.equal(res2.status, 500);
      const log = lines.join('');
      assert.match(log, /request failed/);
      assert.match(log, /\/v1\.0\/boom\?accesskey=\[REDACTED\]/);
      for (const secret of [s.key, 'tokenSecretZZZZ', 'cookieSecretYYYY'])
        assert.ok(!log.includes(secret), `the log shows ${secret}: ${log}`);
    } finally {
      await s.close();
    }
  });

  it('the server masks the URL it logs even with a logger that does not redact', async () => {
    const seen: unknown[] = [];
    const logger: Logger = { ...silentLogger, error: (obj) => void seen.push(obj), child: () => logger };
    const s = await serve({}, logger, (app) => {
      app.get('/v1.0/boom', async () => {
        throw new Error('fault');
      });
    });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${s.port}/v1.0/boom?accesskey=${s.key}`)).status, 500);
      assert.equal(seen.length, 1);
      assert.equal((seen[0] as { url: string }).url, '/v1.0/boom?accesskey=[REDACTED]');
    } finally {
      await s.close();
    }
  });
});
