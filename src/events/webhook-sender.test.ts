import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { FakeClock, SsrfGuard, systemClock } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import { verifyWebhook } from './signature.ts';
import { WebhookSender } from './webhook-sender.ts';

const SECRET = 'whsec_sender';

/** A real receiver on 127.0.0.1 that reads each body, counts connections and answers with `handler`. */
async function receiver(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: { req: IncomingMessage; body: string }[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ req, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?x=1`;
  return { url, seen, connections: () => connections };
}

function sender(t: TestContext, opts: { clock?: Clock; guard?: SsrfGuard; connections?: number } = {}) {
  const s = new WebhookSender({
    clock: opts.clock ?? systemClock,
    guard: opts.guard ?? new SsrfGuard({ mode: 'local' }),
    timeoutMs: 5000,
    connectionsPerOrigin: opts.connections ?? 4,
  });
  t.after(() => s.close());
  return s;
}

/** Let sockets and timers of the event loop run. */
const settle = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('WebhookSender', () => {
  it('sends the body signed with both schemes, with its method, path and query, and reads Retry-After', async (t) => {
    const r = await receiver(t, (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('busy'));
    const body = JSON.stringify({ type: 'call_updated', note: 'naïve – ünïcödé' });
    const result = await sender(t).send({ uri: r.url, method: 'put' }, body, SECRET);
    assert.deepEqual([result.statusCode, result.error, result.retryAfterSec], [503, '', 7]);
    const [got] = r.seen;
    assert.ok(got);
    assert.deepEqual([got.req.method, got.req.url, got.body], ['PUT', '/hook?x=1', body]);
    assert.equal(got.req.headers['content-type'], 'application/json');
    assert.equal(got.req.headers['user-agent'], 'callbin');
    const headers = got.req.headers;
    assert.deepEqual(verifyWebhook({ secret: SECRET, body, headers }), { ok: true, scheme: 'v1' });
    const { 'x-callbin-signature': _v1, ...voipbinOnly } = headers;
    assert.deepEqual(verifyWebhook({ secret: SECRET, body, headers: voipbinOnly }), { ok: true, scheme: 'sha256' });
  });

  it('does not follow a redirect, keeps connections alive and opens at most connectionsPerOrigin of them', async (t) => {
    const r = await receiver(t, (req, res) => {
      if (req.url?.startsWith('/hook')) res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    const s = sender(t, { connections: 2 });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => s.send({ uri: r.url, method: 'POST' }, '{}', SECRET)),
    );
    assert.deepEqual(new Set(results.map((x) => x.statusCode)), new Set([302]));
    for (let i = 0; i < 5; i++) await s.send({ uri: r.url, method: 'POST' }, '{}', SECRET);
    assert.equal(r.seen.length, 17, 'the Location was never visited');
    assert.ok(r.connections() <= 2, `${r.connections()} connections`);
  });

  it('the SSRF pre-check of a URL is not repeated per request, and the connect-time check still refuses', async (t) => {
    const r = await receiver(t, (_req, res) => res.writeHead(200).end());
    // The pre-check's resolver sees a public address (as a rebinding DNS server would answer first);
    // every connection looks the name up again and finds 127.0.0.1.
    let lookups = 0;
    const guard = new SsrfGuard({
      mode: 'production',
      resolve: async () => {
        lookups++;
        return ['93.184.215.14'];
      },
    });
    const clock = new FakeClock();
    const s = sender(t, { clock, guard });
    const uri = r.url.replace('127.0.0.1', 'localhost');
    for (let i = 0; i < 3; i++) {
      const result = await s.send({ uri, method: 'POST' }, '{}', SECRET);
      assert.equal(result.error, 'SSRF_BLOCKED');
    }
    assert.equal(lookups, 1);
    assert.equal(r.seen.length, 0);
    clock.advance(30_000);
    await s.send({ uri, method: 'POST' }, '{}', SECRET);
    assert.equal(lookups, 2, 'checked again once the pre-check is 30 s old');
  });

  it('an internal address in production mode and a malformed URL fail without a request', async (t) => {
    const r = await receiver(t, (_req, res) => res.writeHead(200).end());
    const s = sender(t, { guard: new SsrfGuard({ mode: 'production' }) });
    assert.equal((await s.send({ uri: r.url, method: 'POST' }, '{}', SECRET)).error, 'SSRF_BLOCKED');
    assert.equal((await s.send({ uri: 'ftp://x/', method: 'POST' }, '{}', SECRET)).error, 'INVALID_URI');
    assert.equal((await s.send({ uri: 'not a url', method: 'POST' }, '{}', SECRET)).error, 'INVALID_URI');
    assert.equal(r.seen.length, 0);
  });

  it('each request times out at its own start + timeoutMs on the injected clock, and leaves no timer behind', async (t) => {
    const r = await receiver(t, () => {}); // never answers
    const clock = new FakeClock();
    const s = new WebhookSender({
      clock,
      guard: new SsrfGuard({ mode: 'local' }),
      timeoutMs: 5000,
      connectionsPerOrigin: 4,
    });
    const outcomes: string[] = [];
    const first = s.send({ uri: r.url, method: 'POST' }, '{}', SECRET).then((x) => outcomes.push(`first ${x.error}`));
    await settle();
    clock.advance(3000);
    const second = s.send({ uri: r.url, method: 'POST' }, '{}', SECRET).then((x) => outcomes.push(`second ${x.error}`));
    await settle();
    clock.advance(2000);
    await first;
    await settle();
    assert.deepEqual(outcomes, ['first TIMEOUT']);
    clock.advance(2999);
    await settle();
    assert.deepEqual(outcomes, ['first TIMEOUT']);
    clock.advance(1);
    await second;
    assert.deepEqual(outcomes, ['first TIMEOUT', 'second TIMEOUT']);
    const done = await s.send({ uri: 'http://127.0.0.1:1/', method: 'POST' }, '{}', SECRET);
    assert.equal(done.error, 'CONNECTION_ERROR');
    await s.close();
    assert.equal(clock.pending, 0);
  });

  it('reads what receivers send: 1xx before the answer, chunked bodies, Connection: close', async (t) => {
    const answers = [
      'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'HTTP/1.1 429 Too Many\r\nretry-after: 30\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n',
    ];
    let next = 0;
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      sockets.add(socket);
      let buffered = '';
      socket.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
        if (end === -1 || buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        const answer = answers[next++] ?? '';
        socket.write(answer);
        if (answer.includes('connection: close')) socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const s = sender(t, { connections: 1 });
    const got = [];
    for (let i = 0; i < answers.length; i++) got.push(await s.send({ uri, method: 'POST' }, '{"a":1}', SECRET));
    assert.deepEqual(
      got.map((x) => [x.statusCode, x.error, x.retryAfterSec]),
      [
        [201, '', undefined],
        [200, '', undefined],
        [429, '', 30],
        [200, '', undefined],
      ],
    );
    assert.equal(sockets.size, 2, 'a new connection after Connection: close');
  });
});
