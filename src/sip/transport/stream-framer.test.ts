import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamFramer, type FramedItem } from './stream-framer.ts';

function message(body = '', extra = ''): string {
  return (
    'OPTIONS sip:a@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n' +
    'Call-ID: abc\r\nCSeq: 1 OPTIONS\r\n' +
    extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

function texts(items: FramedItem[]): string[] {
  return items.map((i) => (i.kind === 'message' ? i.bytes.toString() : i.kind === 'ping' ? 'PING' : `ERR:${i.reason}`));
}

describe('StreamFramer', () => {
  it('joins a message split across chunks, byte by byte', () => {
    const framer = new StreamFramer();
    const wire = Buffer.from(message('v=0\r\n'));
    const out: FramedItem[] = [];
    for (let i = 0; i < wire.length; i++) out.push(...framer.push(wire.subarray(i, i + 1)));
    assert.deepEqual(texts(out), [message('v=0\r\n')]);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('cuts several messages out of one chunk, honouring the body length', () => {
    const framer = new StreamFramer();
    const a = message('hello');
    const b = message('', 'Subject: two\r\n');
    const c = message('x'.repeat(300));
    assert.deepEqual(texts(framer.push(Buffer.from(a + b + c.slice(0, 50)))), [a, b]);
    assert.deepEqual(texts(framer.push(Buffer.from(c.slice(50)))), [c]);
  });

  it('understands the compact form l: and a missing Content-Length as 0', () => {
    const framer = new StreamFramer();
    const compact = 'OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc';
    const none = 'OPTIONS sip:a@b SIP/2.0\r\nCSeq: 2 OPTIONS\r\n\r\n';
    assert.deepEqual(texts(framer.push(Buffer.from(compact + none))), [compact, none]);
  });

  it('reports CRLFCRLF keep-alives as pings and skips lone CRLF pongs', () => {
    const framer = new StreamFramer();
    const m = message();
    assert.deepEqual(texts(framer.push(Buffer.from(`\r\n\r\n${m}\r\n`))), ['PING', m]);
    assert.deepEqual(texts(framer.push(Buffer.from('\r\n'))), ['PING']);
    assert.deepEqual(texts(framer.push(Buffer.from('\r\n'))), []);
    assert.deepEqual(texts(framer.push(Buffer.from(m))), [m]);
  });

  it('fails an oversize message declared by Content-Length without buffering it', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1000 });
    const items = framer.push(Buffer.from(message('').replace('Content-Length: 0', 'Content-Length: 5000')));
    assert.deepEqual(texts(items), ['ERR:MESSAGE_TOO_LARGE']);
    const first = items[0];
    assert.ok(first?.kind === 'error' && first.header?.toString().startsWith('OPTIONS'));
    assert.deepEqual(framer.push(Buffer.from(message())), [], 'a failed framer yields nothing more');
  });

  it('fails a header block that never ends within the header limit', () => {
    const framer = new StreamFramer({ maxHeaderBytes: 200 });
    assert.deepEqual(framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n')), []);
    assert.deepEqual(texts(framer.push(Buffer.from(`X-Junk: ${'y'.repeat(300)}\r\n`))), ['ERR:HEADER_TOO_LARGE']);
  });

  it('fails a non-numeric or contradictory Content-Length', () => {
    const bad = new StreamFramer();
    assert.deepEqual(texts(bad.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: ten\r\n\r\n'))), [
      'ERR:BAD_CONTENT_LENGTH',
    ]);
    const twice = new StreamFramer();
    assert.deepEqual(texts(twice.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab'))), [
      'ERR:BAD_CONTENT_LENGTH',
    ]);
    const negative = new StreamFramer();
    assert.deepEqual(texts(negative.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n'))), [
      'ERR:BAD_CONTENT_LENGTH',
    ]);
  });
});
