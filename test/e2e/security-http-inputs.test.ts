import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestCallbin, type TestCallbin } from '../support/callbin.ts';

interface Answer {
  status: number;
  body: any;
}

/** Writes `text` on a fresh TCP connection and reads the answer until the server closes or 3 s pass. */
function rawRequest(port: number, text: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      const end = out.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(out.slice(0, end));
      if (end >= 0 && length && out.length >= end + 4 + Number(length[1])) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(out)}`));
      const body = out.slice(out.indexOf('\r\n\r\n') + 4);
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON: the assertion shows it
      }
      resolve({ status: Number(m[1]), body: parsed });
    });
    socket.write(text, 'latin1');
  });
}

function assertEnvelope(res: Answer, status: number, reason: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.reason, reason, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.status, 'string');
  assert.equal(typeof res.body.error.message, 'string');
  assert.equal(typeof res.body.error.request_id, 'string');
}

describe('security: hostile HTTP inputs are 4xx in the error envelope, and the server goes on answering', () => {
  let cb: TestCallbin;
  let port: number;
  let key: string;
  before(async () => {
    cb = await startTestCallbin();
    port = Number(new URL(cb.handle.apiUrl).port);
    key = cb.handle.admin?.accessKey ?? '';
  });
  after(async () => cb.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> =>
    fetch(`${cb.handle.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body,
    }).then(async (r) => ({ status: r.status, body: JSON.parse(await r.text()) }));
  const get = (path: string, headers: Record<string, string>): Promise<Answer> =>
    fetch(`${cb.handle.apiUrl}${path}`, { headers }).then(async (r) => ({
      status: r.status,
      body: JSON.parse(await r.text()),
    }));

  it('actions nested 10,000 deep (arrays, objects, mixed) are 400 BODY_TOO_DEEP, not a stack overflow; nesting within the limit is not', async () => {
    assertEnvelope(
      await post('/v1.0/flows', `{"name":"deep","actions":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      400,
      'BODY_TOO_DEEP',
    );
    assertEnvelope(
      await post('/v1.0/flows', `{"name":"deep","actions":[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]}`),
      400,
      'BODY_TOO_DEEP',
    );
    assertEnvelope(
      await post('/v1.0/flows', `{"actions":[${'{"b":['.repeat(5_000)}${']}'.repeat(5_000)}]}`),
      400,
      'BODY_TOO_DEEP',
    );
    // Brackets inside strings (with escaped quotes) do not count, and 40 levels are left to validation.
    const res = await post('/v1.0/flows', JSON.stringify({ name: '[{"'.repeat(80), actions: [{ type: 'answer' }] }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const deep = await post('/v1.0/flows', `{"name":"x","actions":${'['.repeat(40)}${']'.repeat(40)}}`);
    assert.notEqual(deep.body?.error?.reason, 'BODY_TOO_DEEP');
    assert.ok(deep.status >= 400 && deep.status < 500);
  });

  it('__proto__ and constructor.prototype keys are 400 FORBIDDEN_KEY', async () => {
    assertEnvelope(
      await post('/v1.0/flows', '{"name":"x","actions":[],"__proto__":{"admin":true}}'),
      400,
      'FORBIDDEN_KEY',
    );
    assertEnvelope(
      await post('/v1.0/flows', '{"name":"x","actions":[{"type":"answer","constructor":{"prototype":{"x":1}}}]}'),
      400,
      'FORBIDDEN_KEY',
    );
  });

  it('a Cookie with bad percent-encoding is 401, not a URIError', async () => {
    assertEnvelope(await get('/v1.0/flows', { cookie: 'accesskey=%E0%A4%A' }), 401, 'INVALID_CREDENTIALS');
    assertEnvelope(await get('/v1.0/flows', { cookie: 'token=%' }), 401, 'INVALID_CREDENTIALS');
  });

  it('bad percent-encoding in the path and in the query string; __proto__ and constructor in the query', async () => {
    assertEnvelope(await get('/v1.0/flows/%E0%A4%A', { authorization: `Bearer ${key}` }), 400, 'MALFORMED_URL');
    assertEnvelope(await get('/v1.0/flows?accesskey=%E0%A4%A', {}), 401, 'INVALID_CREDENTIALS');
    const q = await get('/v1.0/flows?page_size=%E0%A4%A', { authorization: `Bearer ${key}` });
    assert.equal(q.status, 400, JSON.stringify(q.body));
    assertEnvelope(
      await get('/v1.0/flows?__proto__=1&constructor=2', { authorization: `Bearer ${key}` }),
      400,
      'UNKNOWN_FIELD',
    );
  });

  it('a path segment over 200 characters is 414 URI_TOO_LONG in the envelope', async () => {
    assertEnvelope(
      await get(`/v1.0/flows/${'a'.repeat(300)}`, { authorization: `Bearer ${key}` }),
      414,
      'URI_TOO_LONG',
    );
  });

  it('headers or a URL over 16 KiB are 431 HEADERS_TOO_LARGE', async () => {
    assertEnvelope(
      await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      431,
      'HEADERS_TOO_LARGE',
    );
    assertEnvelope(
      await rawRequest(port, `GET /v1.0/flows?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      431,
      'HEADERS_TOO_LARGE',
    );
    const many = Array.from({ length: 3_000 }, (_, i) => `X-${i}: 1`).join('\r\n');
    assertEnvelope(
      await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`),
      431,
      'HEADERS_TOO_LARGE',
    );
  });

  it('malformed HTTP, unknown methods, NUL in a header, bad Content-Length, request smuggling shapes are 400 MALFORMED_REQUEST', async () => {
    const inputs = [
      'HELLO\r\n\r\n',
      'BREW /health HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n',
      'POST /v1.0/flows HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /v1.0/flows HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ];
    for (const text of inputs) assertEnvelope(await rawRequest(port, text), 400, 'MALFORMED_REQUEST');
  });

  it('an HTTP/1.1 request without Host is 400 MISSING_HOST; a method no route has is 404; after all of this the server still answers', async () => {
    assertEnvelope(await rawRequest(port, 'GET /health HTTP/1.1\r\n\r\n'), 400, 'MISSING_HOST');
    assertEnvelope(
      await rawRequest(port, `PROPFIND /v1.0/flows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`),
      404,
      'ROUTE_NOT_FOUND',
    );
    assert.equal((await fetch(`${cb.handle.apiUrl}/health`)).status, 200);
    const flows = await cb.api('GET', '/v1.0/flows');
    assert.equal(flows.status, 200);
  });
});
