import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  AppError,
  FakeClock,
  GuardedFetch,
  MAX_REDIRECTS,
  SsrfGuard,
  guardedAgent,
  hasCauseCode,
  systemClock,
} from './index.ts';
import type { GuardedFetchCodes } from './index.ts';

const CODES: GuardedFetchCodes = {
  invalidUrl: 'INVALID_URI',
  failed: 'FETCH_FAILED',
  timeout: 'FETCH_TIMEOUT',
  tooLarge: 'FETCH_RESPONSE_TOO_LARGE',
};
const code = (expected: string) => (err: unknown) => err instanceof AppError && err.code === expected;

/** A real HTTP server on `host` that records the paths it was asked for. */
async function serve(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; base: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, base: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
}

describe('GuardedFetch', () => {
  let main: Awaited<ReturnType<typeof serve>>;
  let other: Awaited<ReturnType<typeof serve>>;
  let requested: () => void = () => undefined;
  const clients: GuardedFetch[] = [];
  const client = (guard: SsrfGuard, clock = systemClock): GuardedFetch => {
    const c = new GuardedFetch({ guard, clock });
    clients.push(c);
    return c;
  };
  const local = (): GuardedFetch => client(new SsrfGuard({ mode: 'local' }));

  before(async () => {
    // 127.0.0.2 is loopback too, but not on the allow list of the production tests.
    other = await serve('127.0.0.2', (_req, res) => res.end('internal'));
    main = await serve('127.0.0.1', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const hops = Number(url.searchParams.get('hops') ?? 0);
      if (url.pathname === '/ok') return void res.end('ok');
      if (url.pathname === '/to-other') return void res.writeHead(302, { location: `${other.base}/secret` }).end();
      if (url.pathname === '/to-file') return void res.writeHead(301, { location: 'file:///etc/passwd' }).end();
      if (url.pathname === '/chain')
        return void res.writeHead(307, { location: hops > 0 ? `/chain?hops=${hops - 1}` : '/ok' }).end();
      if (url.pathname === '/see-other') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        return void req.on('end', () =>
          res.writeHead(303, { location: `/echo?got=${encodeURIComponent(body)}` }).end(),
        );
      }
      if (url.pathname === '/echo')
        return void res.end(`${req.method} ${url.searchParams.get('got')} ${req.headers['content-type'] ?? '-'}`);
      if (url.pathname === '/big') {
        res.writeHead(200);
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16 * 1024));
        return void res.end();
      }
      if (url.pathname === '/never-ends') {
        res.writeHead(200);
        res.write('partial');
        return void requested();
      }
      res.writeHead(404).end();
    });
  });

  after(async () => {
    for (const c of clients) await c.close();
    for (const s of [main.server, other.server]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('fetches only absolute http(s) URLs: a path, file:, data:, ftp: or a malformed URL is the invalid-URL code', async () => {
    const http = local();
    for (const url of [
      '/etc/passwd',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'ftp://127.0.0.1/x',
      'http://a:b:c/',
      'not a url',
    ]) {
      await assert.rejects(
        http.request({ url, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
        code('INVALID_URI'),
        url,
      );
    }
  });

  it('production mode refuses a literal loopback address before any request is sent', async () => {
    const before = main.seen.length;
    await assert.rejects(
      client(new SsrfGuard({ mode: 'production' })).request({
        url: `${main.base}/ok`,
        timeoutMs: 5000,
        maxBytes: 1024,
        codes: CODES,
      }),
      code('SSRF_BLOCKED'),
    );
    assert.equal(main.seen.length, before);
  });

  it('the guarded Agent itself refuses a literal internal address, even for a request sent without the pre-check', async () => {
    const agent = guardedAgent(new SsrfGuard({ mode: 'production' }));
    const before = main.seen.length;
    await assert.rejects(request(`${main.base}/ok`, { dispatcher: agent }), (err) => hasCauseCode(err, 'SSRF_BLOCKED'));
    assert.equal(main.seen.length, before);
    await agent.close();
  });

  it('checks the address at connect time: a name that the pre-check saw as public but resolves to loopback is refused', async () => {
    // The pre-check's resolver answers a public address (as a rebinding DNS server would at first); the connect-time lookup sees 127.0.0.1.
    const guard = new SsrfGuard({ mode: 'production', allow: [], resolve: async () => ['93.184.215.14'] });
    const before = main.seen.length;
    const port = new URL(main.base).port;
    await assert.rejects(
      client(guard).request({ url: `http://localhost:${port}/ok`, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
      code('SSRF_BLOCKED'),
    );
    assert.equal(main.seen.length, before);
  });

  it('with 127.0.0.1 allowed, a redirect to 127.0.0.2 is refused at the hop and never reaches it', async () => {
    const http = client(new SsrfGuard({ mode: 'production', allow: ['127.0.0.1'] }));
    assert.equal(
      Buffer.from(
        (await http.request({ url: `${main.base}/ok`, timeoutMs: 5000, maxBytes: 1024, codes: CODES })).body,
      ).toString(),
      'ok',
    );
    await assert.rejects(
      http.request({ url: `${main.base}/to-other`, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
      code('SSRF_BLOCKED'),
    );
    assert.deepEqual(other.seen, []);
  });

  it(`follows at most ${MAX_REDIRECTS} redirects, and never to a non-http(s) URL`, async () => {
    const http = local();
    const res = await http.request({
      url: `${main.base}/chain?hops=${MAX_REDIRECTS - 1}`,
      timeoutMs: 5000,
      maxBytes: 1024,
      codes: CODES,
    });
    assert.equal(res.status, 200);
    assert.equal(res.url, `${main.base}/ok`);
    await assert.rejects(
      http.request({ url: `${main.base}/chain?hops=${MAX_REDIRECTS}`, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
      code('FETCH_FAILED'),
    );
    await assert.rejects(
      http.request({ url: `${main.base}/to-file`, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
      code('FETCH_FAILED'),
    );
  });

  it('a 303 after POST continues as a GET without the body', async () => {
    const res = await local().request({
      url: `${main.base}/see-other`,
      method: 'POST',
      body: 'payload',
      headers: { 'content-type': 'text/plain' },
      timeoutMs: 5000,
      maxBytes: 1024,
      codes: CODES,
    });
    assert.equal(Buffer.from(res.body).toString(), 'GET payload -');
  });

  it('refuses an answer over the byte limit and reports 404 and refused connections as answers or failures, never hanging', async () => {
    const http = local();
    await assert.rejects(
      http.request({ url: `${main.base}/big`, timeoutMs: 5000, maxBytes: 100_000, codes: CODES }),
      code('FETCH_RESPONSE_TOO_LARGE'),
    );
    assert.equal(
      (await http.request({ url: `${main.base}/missing`, timeoutMs: 5000, maxBytes: 1024, codes: CODES })).status,
      404,
    );
    const closed = await serve('127.0.0.1', () => undefined);
    closed.server.close();
    await assert.rejects(
      http.request({ url: `${closed.base}/x`, timeoutMs: 5000, maxBytes: 1024, codes: CODES }),
      code('FETCH_FAILED'),
    );
  });

  it('bounds a server that never finishes its body by the time limit (on the injected clock)', async () => {
    const clock = new FakeClock();
    const arrived = new Promise<void>((resolve) => (requested = resolve));
    const pending = client(new SsrfGuard({ mode: 'local' }), clock).request({
      url: `${main.base}/never-ends`,
      timeoutMs: 3000,
      maxBytes: 1024,
      codes: CODES,
    });
    await arrived;
    clock.advance(3000);
    await assert.rejects(pending, code('FETCH_TIMEOUT'));
  });

  it("the caller's abort rejects with the abort reason", async () => {
    const reason = new Error('flow stopped');
    const controller = new AbortController();
    const arrived = new Promise<void>((resolve) => (requested = resolve));
    const pending = local().request({
      url: `${main.base}/never-ends`,
      timeoutMs: 60_000,
      maxBytes: 1024,
      codes: CODES,
      signal: controller.signal,
    });
    await arrived;
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });
});
