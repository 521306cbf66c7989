import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createResponse,
  formatNameAddr,
  formatUri,
  formatVia,
  getBranch,
  getCallId,
  getCSeq,
  getTag,
  newBranch,
  newCallId,
  newTag,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  reasonPhrase,
  serializeMessage,
  SipParseError,
} from './index.ts';
import type { SipRequest } from './index.ts';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bKabc;rport',
  'v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKdef, SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKghi',
  'Record-Route: <sip:proxy.example.com;lr>',
  'Max-Forwards: 70',
  'f: "Alice Ü" <sip:alice@example.com>;tag=a1',
  't: Bob <sip:bob@example.com>',
  'i: call-1@example.com',
  'CSeq: 7 INVITE',
  'Subject: folded',
  '  across\tlines',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\r\n',
];

function invite(): SipRequest {
  return parseMessage(crlf(INVITE)) as SipRequest;
}

test('parseMessage: compact forms, folding, multi-value Via and accessors', () => {
  const req = invite();
  assert.equal(req.kind, 'request');
  assert.equal(req.headers.get('Subject'), 'folded across\tlines');
  assert.equal(req.headers.getAll('via').length, 3);
  assert.equal(getBranch(req), 'z9hG4bKabc');
  assert.equal(getCallId(req), 'call-1@example.com');
  assert.deepEqual(getCSeq(req), { seq: 7, method: 'INVITE' });
  assert.equal(getTag(req.headers, 'from'), 'a1');
  assert.equal(getTag(req.headers, 'to'), undefined);
  assert.equal(parseNameAddr(req.headers.get('from') ?? '').displayName, 'Alice Ü');
  assert.equal(req.body.toString(), 'v=0\r');
});

test('parseMessage: body follows Content-Length; short datagram and garbage lengths are errors', () => {
  const lines = [...INVITE.slice(0, -3), 'Content-Length: 3', '', 'abcdef'];
  assert.equal(parseMessage(crlf(lines)).body.toString(), 'abc');
  const noLength = [...INVITE.slice(0, -3), '', 'xyz'];
  assert.equal(parseMessage(crlf(noLength)).body.toString(), 'xyz');
  assert.throws(() => parseMessage(crlf([...INVITE.slice(0, -3), 'Content-Length: 30', '', 'abc'])), SipParseError);
  assert.throws(() => parseMessage(crlf([...INVITE.slice(0, -3), 'Content-Length: five', '', 'abc'])), SipParseError);
});

test('parseMessage: missing required headers throw with the headers read so far', () => {
  const withoutCallId = INVITE.filter((l) => !l.startsWith('i:'));
  assert.throws(
    () => parseMessage(crlf(withoutCallId)),
    (err: unknown) => err instanceof SipParseError && err.partial?.method === 'INVITE',
  );
  const withoutMaxForwards = INVITE.filter((l) => !l.startsWith('Max-Forwards'));
  assert.equal(parseMessage(crlf(withoutMaxForwards)).kind, 'request');
  assert.throws(() => parseMessage(Buffer.from('\r\n\r\n')), SipParseError);
  assert.throws(() => parseMessage(Buffer.from('garbage\r\n\r\n')), SipParseError);
});

test('serializeMessage: writes Content-Length from the body in place of the old one', () => {
  const req = invite();
  req.body = Buffer.from('v=0\r\no=x\r\n');
  const text = serializeMessage(req).toString();
  assert.match(text, /^INVITE sip:bob@example.com SIP\/2.0\r\n/);
  assert.equal(text.match(/Content-Length/g)?.length, 1);
  assert.match(text, /Content-Length: 10\r\n\r\nv=0\r\no=x\r\n$/);
  assert.deepEqual(parseMessage(serializeMessage(req)).body, req.body);
});

test('parseUri/formatUri: IPv6, ports, params, headers, escapes and other schemes', () => {
  const u = parseUri('sip:al%20ice:pw@[2001:db8::10]:5070;transport=tcp;lr?subject=hi&x');
  assert.equal(u.user, 'al ice');
  assert.equal(u.password, 'pw');
  assert.equal(u.host, '2001:db8::10');
  assert.equal(u.port, 5070);
  assert.deepEqual(
    [...u.params],
    [
      ['transport', 'tcp'],
      ['lr', null],
    ],
  );
  assert.deepEqual(
    [...u.headers],
    [
      ['subject', 'hi'],
      ['x', null],
    ],
  );
  assert.equal(formatUri(u), 'sip:al%20ice:pw@[2001:db8::10]:5070;transport=tcp;lr?subject=hi&x');
  assert.equal(parseUri('SIPS:example.com').scheme, 'sips');
  assert.deepEqual(parseUri('tel:+15551234567;phone-context=x').opaque, '+15551234567;phone-context=x');
  assert.equal(formatUri(parseUri('urn:service:sos')), 'urn:service:sos');
  for (const bad of ['sip:', 'sip:user@', 'sip:host:99999', 'sip:[::1', '<sip:a@b>', 'sip:a b@c', 'noscheme']) {
    assert.throws(() => parseUri(bad), SipParseError, bad);
  }
});

test('parseNameAddr/formatNameAddr: quoted, token and missing display names, addr-spec params, wildcard', () => {
  const q = parseNameAddr('"A \\"B\\"" <sip:a@example.com;transport=udp>;tag=x;expires=60');
  assert.equal(q.displayName, 'A "B"');
  assert.equal(q.uri.params.get('transport'), 'udp');
  assert.deepEqual(
    [...q.params],
    [
      ['tag', 'x'],
      ['expires', '60'],
    ],
  );
  assert.equal(formatNameAddr(q), '"A \\"B\\"" <sip:a@example.com;transport=udp>;tag=x;expires=60');
  const spec = parseNameAddr('sip:bob@example.com;tag=9');
  assert.equal(spec.uri.params.size, 0);
  assert.equal(spec.params.get('tag'), '9');
  assert.equal(formatNameAddr(spec), '<sip:bob@example.com>;tag=9');
  assert.equal(parseNameAddr('Bob Smith <sip:bob@[2001:db8::10]:5070>').uri.port, 5070);
  assert.equal(parseNameAddr(' * ').wildcard, true);
  assert.equal(formatNameAddr(parseNameAddr('*')), '*');
  for (const bad of ['"open <sip:a@b>', 'Bell, A <sip:a@b>', '<sip:a@b', 'sip:a@b?x=y']) {
    assert.throws(() => parseNameAddr(bad), SipParseError, bad);
  }
});

test('parseVia/formatVia: whitespace around slashes, IPv6 sent-by, received and rport', () => {
  const v = parseVia('SIP / 2.0 / udp [2001:db8::10]:5070 ;branch=z9hG4bKx;received=2001:db8::9;rport');
  assert.equal(v.transport, 'UDP');
  assert.equal(v.host, '2001:db8::10');
  assert.equal(v.port, 5070);
  assert.equal(v.params.get('received'), '2001:db8::9');
  assert.equal(v.params.get('rport'), null);
  assert.equal(formatVia(v), 'SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bKx;received=2001:db8::9;rport');
  assert.throws(() => parseVia('SIP/3.0/UDP host'), SipParseError);
  assert.throws(() => parseVia('SIP/2.0/UDP host;;'), SipParseError);
});

test('parseCSeq: number range and method token', () => {
  assert.deepEqual(parseCSeq(' 0009  INVITE '), { seq: 9, method: 'INVITE' });
  assert.throws(() => parseCSeq('2147483648 INVITE'), SipParseError);
  assert.throws(() => parseCSeq('INVITE'), SipParseError);
});

test('createResponse: copies Via in order, From, To with a new tag, Call-ID, CSeq and Record-Route', () => {
  const req = invite();
  const res = createResponse(req, 180, undefined, { toTag: 'b2', headers: [['Contact', '<sip:b@192.0.2.9>']] });
  assert.equal(res.reason, 'Ringing');
  assert.deepEqual(res.headers.getAll('via'), req.headers.getAll('via'));
  assert.equal(res.headers.get('to'), 'Bob <sip:bob@example.com>;tag=b2');
  assert.equal(res.headers.get('from'), req.headers.get('from'));
  assert.equal(res.headers.get('call-id'), 'call-1@example.com');
  assert.equal(res.headers.get('cseq'), '7 INVITE');
  assert.equal(res.headers.get('record-route'), '<sip:proxy.example.com;lr>');
  assert.equal(res.headers.get('contact'), '<sip:b@192.0.2.9>');
  const busy = createResponse(req, 486);
  assert.equal(busy.reason, 'Busy Here');
  assert.equal(busy.headers.has('record-route'), false);
  const sdp = createResponse(req, 200, 'OK', {
    toTag: 'b2',
    body: Buffer.from('v=0\r\n'),
    contentType: 'application/sdp',
  });
  const wire = parseMessage(serializeMessage(sdp));
  assert.equal(wire.kind, 'response');
  assert.equal(wire.headers.get('content-type'), 'application/sdp');
  assert.equal(wire.body.toString(), 'v=0\r\n');
});

test('createResponse keeps an existing To tag; reasonPhrase covers unknown codes', () => {
  const req = invite();
  req.headers.set('To', 'Bob <sip:bob@example.com>;tag=old');
  assert.equal(
    createResponse(req, 200, undefined, { toTag: 'new' }).headers.get('to'),
    'Bob <sip:bob@example.com>;tag=old',
  );
  assert.equal(reasonPhrase(404), 'Not Found');
  assert.equal(reasonPhrase(499), 'Client Error');
});

test('newBranch/newTag/newCallId are fresh; branches carry the magic cookie', () => {
  assert.ok(newBranch().startsWith('z9hG4bK'));
  assert.notEqual(newBranch(), newBranch());
  assert.notEqual(newTag(), newTag());
  assert.notEqual(newCallId(), newCallId());
});
